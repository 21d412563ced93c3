import CLibPQ
import Foundation

/// One parameterised statement, for `PGConnection.pipeline`.
public struct PGStatement {
    public let sql: String
    public let params: [PGValue?]

    public init(_ sql: String, _ params: [PGValue?] = []) {
        self.sql = sql
        self.params = params
    }
}

extension PGConnection {
    /// Runs `statements` in libpq's pipeline mode: all sent at once, then one Sync, so they
    /// cost one network round trip and run as **one implicit transaction** — if any fails, the
    /// ones before it are rolled back and the ones after it are skipped, and the first error is
    /// thrown (as `exec` would throw it). Returns one result per statement.
    ///
    /// Why: a one-slot worker's completion (its results statements and the completion) and its
    /// next claim are several statements; sent one by one through a transaction pooler they
    /// each wait for a reply and hold the server connection across the client's wake-ups. Same
    /// rules as `exec`: unnamed statements with text parameters (transaction pooling keeps
    /// working: the server connection is given back at the one ReadyForQuery after the Sync).
    /// Must not be called inside an explicit transaction (`BEGIN`): it would not end it.
    public func pipeline(_ statements: [PGStatement]) throws -> [PGResult] {
        guard let handle else { throw DatabaseError.connectionLost(detail: "connection is closed") }
        guard !statements.isEmpty else { return [] }
        guard PQenterPipelineMode(handle) == 1 else {
            throw DatabaseError.statementFailed(sqlstate: "", message: "cannot enter pipeline mode: \(lastError(handle))")
        }
        for statement in statements {
            let encoded: [String?] = statement.params.map { $0?.pgText }
            let sent = withOptionalCStringsForPipeline(encoded) { values in
                PQsendQueryParams(handle, statement.sql, Int32(encoded.count), nil, values, nil, nil, 0)
            }
            guard sent == 1 else { throw lostOrFailed(handle) }
        }
        guard PQpipelineSync(handle) == 1, PQflush(handle) == 0 else { throw lostOrFailed(handle) }

        var results: [PGResult] = []
        var firstError: DatabaseError?
        for _ in statements {
            var kept: PGResult?
            var sawAny = false
            // Each statement's results end with a NULL from PQgetResult.
            while let result = PQgetResult(handle) {
                sawAny = true
                switch PQresultStatus(result) {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                    kept = PGResult(result)
                case PGRES_PIPELINE_ABORTED:
                    PQclear(result)  // skipped after an earlier failure
                default:
                    if firstError == nil { firstError = Self.error(of: result, handle) }
                    PQclear(result)
                }
            }
            guard sawAny else { throw lostOrFailed(handle) }
            results.append(kept ?? PGResult(PQmakeEmptyPGresult(handle, PGRES_COMMAND_OK)!))
        }
        // The Sync's own result, then leave pipeline mode (needs an idle, fully read connection).
        guard let sync = PQgetResult(handle) else { throw lostOrFailed(handle) }
        let syncStatus = PQresultStatus(sync)
        PQclear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC, PQexitPipelineMode(handle) == 1 else { throw lostOrFailed(handle) }
        if let firstError { throw firstError }
        return results
    }

    private func lastError(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A failure to send or read mid-pipeline: the connection's protocol state is then unknown,
    /// so it is closed and reported lost (the caller reconnects, as after any lost connection).
    private func lostOrFailed(_ handle: OpaquePointer) -> DatabaseError {
        let detail = lastError(handle)
        close()
        return .connectionLost(detail: detail.isEmpty ? "server closed the connection" : "pipeline failed: \(detail)")
    }

    private static func error(of result: OpaquePointer, _ handle: OpaquePointer) -> DatabaseError {
        let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let sqlstate = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        if PQstatus(handle) != CONNECTION_OK || sqlstate.hasPrefix("08") || sqlstate.hasPrefix("57P") {
            return .connectionLost(detail: message.isEmpty ? "server closed the connection" : message)
        }
        return .statementFailed(sqlstate: sqlstate, message: message)
    }
}

private func withOptionalCStringsForPipeline<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    if pointers.isEmpty { return body(nil) }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}
