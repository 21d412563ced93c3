/// What `ctl serve` was asked for, checked: a non-loopback address needs tokens.
public struct DashboardConfiguration: Sendable {
    public let listen: ListenAddress
    public let policy: AccessPolicy
    /// Live updates re-read the job list at least this often while someone watches, for
    /// notifications missed while the listening connection was down; nil: only on NOTIFY.
    public let fallbackPollSeconds: Double?

    public init(listen: ListenAddress, tokens: AccessTokens?, fallbackPollSeconds: Double? = 10) throws {
        if !listen.isLoopback && (tokens?.isEmpty ?? true) {
            throw DashboardSetupError("""
                --listen \(listen) is reachable from other machines, so a token is required: \
                give --token-file FILE with lines `reader TOKEN` (and `operator TOKEN` for cancel/retry), \
                or listen on 127.0.0.1
                """)
        }
        if let seconds = fallbackPollSeconds, !(seconds >= 0 && seconds.isFinite) {
            throw DashboardSetupError("--fallback-poll \(seconds): give seconds ≥ 0 (0: only on notifications)")
        }
        self.listen = listen
        policy = AccessPolicy(tokens: tokens)
        self.fallbackPollSeconds = (fallbackPollSeconds ?? 0) > 0 ? fallbackPollSeconds : nil
    }
}
