import HTTPTypes
import Hummingbird

/// Applies `AccessPolicy` to every request, records the granted access in the context, and
/// guards state-changing requests against cross-site forgery: they must carry the
/// `X-Slipline-Request` header (which a foreign page cannot send without a CORS preflight
/// this server never allows) and, when the browser says where it comes from, this origin.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = DashboardContext
    let policy: AccessPolicy
    static let csrfHeader = HTTPField.Name("X-Slipline-Request")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            let prefix = "Bearer "
            return value.hasPrefix(prefix) ? String(value.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) : nil
        }
        let cookie = request.cookies[AccessPolicy.cookieName]?.value
        let query = request.uri.queryParameters["token"].map(String.init)
        switch policy.decide(bearer: bearer, cookie: cookie, queryToken: query) {
        case let .denied(message):
            var error = DashboardHTTPError(.unauthorized, message)
            error.extraHeaders[.wwwAuthenticate] = "Bearer realm=\"slipline\""
            throw error
        case .adoptQueryToken:
            guard request.method == .get, let token = query else {
                throw DashboardHTTPError(.badRequest, "?token= is accepted on GET requests only")
            }
            return Response(status: .seeOther, headers: [
                .location: request.uri.path.isEmpty ? "/" : request.uri.path,
                .setCookie: "\(AccessPolicy.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict",
                .cacheControl: "no-store",
            ])
        case let .granted(access):
            context.access = access
        }
        if request.method != .get && request.method != .head {
            guard request.headers[Self.csrfHeader] != nil else {
                throw DashboardHTTPError(.forbidden, "state-changing requests need the header X-Slipline-Request: 1")
            }
            if let origin = request.headers[.origin], let host = request.head.authority,
               origin != "http://\(host)" && origin != "https://\(host)" {
                throw DashboardHTTPError(.forbidden, "requests from another origin (\(origin)) are refused")
            }
        }
        return try await next(request, context)
    }
}
