import Hummingbird

/// The per-request context: Hummingbird's core storage plus what the caller may do, set by
/// `AccessMiddleware` before any route runs.
public struct DashboardContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var access: Access = .reader

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Throws 403 unless the request carries an operator token.
    func requireOperator() throws {
        guard access >= .operator else {
            throw DashboardHTTPError(
                .forbidden,
                "this action needs an operator token: start `ctl serve --token-file F` with a line `operator TOKEN` in F and present that token")
        }
    }
}
