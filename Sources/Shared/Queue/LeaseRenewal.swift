/// What a worker's lease renewal (`TaskStore.renewLeases`) answered.
public struct LeaseRenewal: Sendable, Equatable {
    /// Tasks leased to the worker that it did not know it held (a claim whose reply was lost),
    /// given back.
    public let orphansReleased: Int
    /// Tasks the worker said it held that are no longer leased to it: their job was cancelled,
    /// or the lease was reaped (expired) or released by a successor on its host. Whatever it
    /// would record for them is refused, so it stops running them and drops them unstarted.
    public let lost: Set<Int64>

    public init(orphansReleased: Int, lost: Set<Int64>) {
        self.orphansReleased = orphansReleased
        self.lost = lost
    }
}
