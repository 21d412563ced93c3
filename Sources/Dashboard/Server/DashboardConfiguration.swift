/// What `ctl serve` was asked for, checked: a non-loopback address needs tokens.
public struct DashboardConfiguration: Sendable {
    public let listen: ListenAddress
    public let policy: AccessPolicy

    public init(listen: ListenAddress, tokens: AccessTokens?) throws {
        if !listen.isLoopback && (tokens?.isEmpty ?? true) {
            throw DashboardSetupError("""
                --listen \(listen) is reachable from other machines, so a token is required: \
                give --token-file FILE with lines `reader TOKEN` (and `operator TOKEN` for cancel/retry), \
                or listen on 127.0.0.1
                """)
        }
        self.listen = listen
        policy = AccessPolicy(tokens: tokens)
    }
}
