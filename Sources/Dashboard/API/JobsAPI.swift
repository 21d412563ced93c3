import Foundation
import Hummingbird
import Shared

/// `/api/jobs…`: the job list, one job, and the operators' cancel and retry.
struct JobsAPI {
    let database: DashboardDatabase

    func register(on router: Router<DashboardContext>) {
        router.get("/api/jobs") { request, _ -> Response in
            let limit = try Self.limit(request, default: 100, max: 1000)
            let jobs = try await database.read { try JobSummary.recent($0, limit: limit) }
            return try JSONResponse.make(JobList(jobs: jobs))
        }
        router.get("/api/jobs/:id") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let detail = try await database.read({ try JobDetail.load($0, id: id) }) else {
                throw DashboardHTTPError.notFound("job \(id)")
            }
            return try JSONResponse.make(detail)
        }
        router.post("/api/jobs/:id/cancel") { _, context -> Response in
            try context.requireOperator()
            let id = try context.parameters.require("id", as: Int64.self)
            let result = try await database.write { conn -> JobActionResult? in
                guard try TaskQueue.job(conn, id: id) != nil else { return nil }
                let cancelled = try TaskQueue.cancel(conn, job: id)
                let job = try JobSummary.one(conn, id: id)
                let message = cancelled ? "job \(id) cancelled" : "job \(id) has already ended (\(job?.state ?? "?")); nothing to cancel"
                return JobActionResult(id: id, action: "cancel", message: message, job: job)
            }
            guard let result else { throw DashboardHTTPError.notFound("job \(id)") }
            return try JSONResponse.make(result, status: result.message.hasSuffix("cancelled") ? .ok : .conflict)
        }
        router.post("/api/jobs/:id/retry") { _, context -> Response in
            try context.requireOperator()
            let id = try context.parameters.require("id", as: Int64.self)
            let result = try await database.write { conn -> (JobActionResult, Bool)? in
                guard try TaskQueue.job(conn, id: id) != nil else { return nil }
                let requeued = try TaskQueue.retry(conn, job: id)
                let job = try JobSummary.one(conn, id: id)
                // 0 tasks: a done job stays done; a job cancelled before it was planned is queued to be planned.
                let planAgain = requeued == 0 && job?.state == "queued"
                let message = switch requeued {
                case nil: try TaskQueue.retryRefusal(conn, job: id)
                case 0? where planAgain: "job \(id) queued again (it had not been planned yet)"
                case 0?: "job \(id) is \(job?.state ?? "?"): nothing failed or was cancelled, nothing to retry"
                case let n?: "job \(id): \(n) task(s) queued again"
                }
                return (JobActionResult(id: id, action: "retry", message: message, job: job), (requeued ?? 0) > 0 || planAgain)
            }
            guard let result else { throw DashboardHTTPError.notFound("job \(id)") }
            return try JSONResponse.make(result.0, status: result.1 ? .ok : .conflict)
        }
    }

    /// `?limit=` within 1…max.
    static func limit(_ request: Request, default value: Int, max: Int) throws -> Int {
        guard let text = request.uri.queryParameters["limit"] else { return value }
        guard let n = Int(text), (1...max).contains(n) else {
            throw DashboardHTTPError(.badRequest, "limit must be an integer 1…\(max)")
        }
        return n
    }
}
