import Foundation

/// Who may use the dashboard, as a pure decision over what a request presents (no sockets):
/// without a token file (loopback only) everyone reads and nobody acts; with one, every request
/// needs a token — as `Authorization: Bearer`, the `slipline_token` cookie, or once as
/// `?token=` on a page, which the server turns into the cookie and drops from the address.
public struct AccessPolicy: Sendable {
    public let tokens: AccessTokens?
    public static let cookieName = "slipline_token"

    public init(tokens: AccessTokens?) {
        self.tokens = tokens.flatMap { $0.isEmpty ? nil : $0 }
    }

    public enum Decision: Sendable, Equatable {
        /// Go on with this access.
        case granted(Access)
        /// Valid token in the query: set it as a cookie and redirect to the clean address.
        case adoptQueryToken(Access)
        /// 401 with this message.
        case denied(String)
    }

    /// Decides from the bearer token, the cookie and the `token` query parameter.
    public func decide(bearer: String?, cookie: String?, queryToken: String?) -> Decision {
        guard let tokens else { return .granted(.reader) }
        if let bearer {
            guard let access = tokens.access(for: bearer) else { return .denied("the bearer token is not valid") }
            return .granted(access)
        }
        if let queryToken {
            guard let access = tokens.access(for: queryToken) else { return .denied("the token in the address is not valid") }
            return .adoptQueryToken(access)
        }
        if let cookie {
            guard let access = tokens.access(for: cookie) else {
                return .denied("the saved token is not valid any more: open the dashboard with ?token=TOKEN")
            }
            return .granted(access)
        }
        return .denied(
            "a token is required: send `Authorization: Bearer TOKEN`, or open the dashboard once with ?token=TOKEN (tokens are in the --token-file of ctl serve)")
    }
}
