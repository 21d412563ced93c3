/// What a job processes. `bench` is the built-in kind for exercising the queue itself.
public enum JobKind: String, Sendable, CaseIterable, Codable {
    case tem
    case bcdi
    case stem4d
    case bench
}
