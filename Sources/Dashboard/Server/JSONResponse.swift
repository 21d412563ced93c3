import Foundation
import Hummingbird
import Shared

/// JSON bodies of the API: snake_case keys, ISO 8601 dates, `Cache-Control: no-store`.
enum JSONResponse {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try encoder().encode(value)
    }

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encode(value))))
    }
}

extension JSONResponse {
    /// A body PostgreSQL already built (`json_build_object`, `json_agg`): the bulk endpoints
    /// hand the server's JSON straight through instead of decoding and re-encoding it.
    static func raw(_ json: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// Runs a statement whose single row and column is a JSON document; nil when it is NULL
    /// (the statements return NULL when the job does not exist).
    static func query(_ database: DashboardDatabase, _ sql: String, _ params: [PGValue?]) async throws -> String? {
        try await database.read { conn in
            let r = try conn.exec(sql, params)
            return r.rowCount == 0 ? nil : r.string(0, 0)
        }
    }
}
