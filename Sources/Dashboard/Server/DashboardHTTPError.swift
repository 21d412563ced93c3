import Foundation
import Hummingbird

/// An error the API reports to the client as `{"error": "..."}` with an HTTP status. Messages
/// name the thing that is wrong and what to do; they never carry paths or SQL.
public struct DashboardHTTPError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    var extraHeaders: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = extraHeaders
        headers[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func notFound(_ what: String) -> DashboardHTTPError { DashboardHTTPError(.notFound, "\(what) does not exist") }
}
