import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// `ctl serve` over real HTTP: tokens missing, bad, reader and operator; cross-site guards;
/// security headers; files only from paths the database lists.
final class ServeSecurityTests: XCTestCase {
    func testNonLoopbackListenWithoutTokenExitsNonZeroWithAClearMessage() throws {
        let url = try TestCluster.freshDatabase("servenl")
        let (status, output) = try CtlProcess.run(["serve", "--listen", "0.0.0.0:0", "--database", url], timeout: 30)
        XCTAssertNotEqual(status, 0, output)
        XCTAssertTrue(output.contains("token is required") && output.contains("--token-file"), output)
    }

    func testTokensRightsHeadersAndCrossSiteGuards() throws {
        let url = try TestCluster.freshDatabase("servesec")
        let reader = "reader-" + UUID().uuidString, op = "operator-" + UUID().uuidString
        let file = try TestFiles.temporaryDirectory("tokens") + "/tokens"
        try "reader \(reader)\noperator \(op)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=3", "--database", url])
        XCTAssertEqual(s, 0, out)
        let serve = try ServeProcess(database: url, arguments: ["--token-file", file])
        let http = serve.client

        for (label, headers) in [("missing", [:]), ("bad", ["Authorization": "Bearer not-a-token-0123456789"]),
                                 ("bad cookie", ["Cookie": "slipline_token=not-a-token-0123456789"])] {
            for path in ["/", "/api/jobs", "/metrics", "/openapi.json", "/static/app.js", "/api/events"] {
                let reply = try http.request(path, headers: headers)
                XCTAssertEqual(reply.status, 401, "\(label) token on \(path): \(reply.text)")
                XCTAssertNotNil(reply.headers["content-security-policy"], "headers on errors too")
            }
        }
        let bad = try http.request("/api/jobs")
        XCTAssertTrue(bad.text.contains("token is required"), bad.text)
        XCTAssertEqual(bad.headers["www-authenticate"], "Bearer realm=\"slipline\"")

        let asReader = ["Authorization": "Bearer \(reader)"]
        let jobs = try http.request("/api/jobs", headers: asReader)
        XCTAssertEqual(jobs.status, 200, jobs.text)
        XCTAssertEqual(jobs.headers["x-content-type-options"], "nosniff")
        XCTAssertTrue(jobs.headers["content-security-policy"]?.contains("frame-ancestors 'none'") ?? false)
        XCTAssertTrue(jobs.headers["content-security-policy"]?.contains("default-src 'none'") ?? false)
        let session = try http.request("/api/session", headers: asReader)
        XCTAssertTrue(session.text.contains("reader"), session.text)

        // A reader cannot act, even with the cross-site header.
        let denied = try http.request("/api/jobs/1/cancel", method: "POST", headers: asReader.merging(["X-Slipline-Request": "1"]) { $1 })
        XCTAssertEqual(denied.status, 403, denied.text)
        XCTAssertTrue(denied.text.contains("operator token"), denied.text)
        // An operator without the header (what a foreign form would send) is refused …
        let forged = try http.request("/api/jobs/1/cancel", method: "POST", headers: ["Cookie": "slipline_token=\(op)"])
        XCTAssertEqual(forged.status, 403, forged.text)
        let foreign = try http.request("/api/jobs/1/cancel", method: "POST", headers: [
            "Cookie": "slipline_token=\(op)", "X-Slipline-Request": "1", "Origin": "http://evil.example"])
        XCTAssertEqual(foreign.status, 403, foreign.text)
        // … and with it the job is cancelled.
        let cancelled = try http.request("/api/jobs/1/cancel", method: "POST", headers: ["Authorization": "Bearer \(op)", "X-Slipline-Request": "1"])
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        let detail = try http.request("/api/jobs/1", headers: asReader)
        XCTAssertTrue(detail.text.contains("\"state\":\"cancelled\""), detail.text)
        let again = try http.request("/api/jobs/1/retry", method: "POST", headers: ["Authorization": "Bearer \(op)", "X-Slipline-Request": "1"])
        XCTAssertEqual(again.status, 200, again.text)
        // Refusals say why: a job not ended yet, and a pruned one (whose tasks retention deleted).
        let operatorPost = ["Authorization": "Bearer \(op)", "X-Slipline-Request": "1"]
        let notEnded = try http.request("/api/jobs/1/retry", method: "POST", headers: operatorPost)
        XCTAssertEqual(notEnded.status, 409, notEnded.text)
        XCTAssertTrue(notEnded.text.contains("is still queued"), notEnded.text)
        let conn = try PGConnection(url)
        XCTAssertTrue(try TaskQueue.cancel(conn, job: 1))
        try conn.exec("UPDATE jobs SET finished_at = now() - interval '1 hour' WHERE id = 1")
        _ = try TaskQueue.prune(conn, olderThan: 60, batch: 100)  // never planned: no tasks, the job is marked pruned
        XCTAssertNotNil(try conn.exec("SELECT pruned_at FROM jobs WHERE id = 1").string(0, 0))
        let pruned = try http.request("/api/jobs/1/retry", method: "POST", headers: operatorPost)
        XCTAssertEqual(pruned.status, 409, pruned.text)
        XCTAssertTrue(pruned.text.contains("were pruned on") && pruned.text.contains("Submit its input again"), pruned.text)

        // ?token= once: a cookie (HttpOnly, SameSite=Strict) and a redirect to the clean address.
        let adopt = try http.request("/jobs/1?token=\(reader)")
        XCTAssertEqual(adopt.status, 303, adopt.text)
        XCTAssertEqual(adopt.headers["location"], "/jobs/1")
        let cookie = adopt.headers["set-cookie"] ?? ""
        XCTAssertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie)
        let page = try http.request("/jobs/1", headers: ["Cookie": "slipline_token=\(reader)"])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<script src=\"/static/app.js\""), page.text)
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "no outside request from the page")
        XCTAssertEqual(serve.stop(), 0, serve.process.output)
    }

    func testFilesComeOnlyFromPathsTheDatabaseLists() throws {
        let url = try TestCluster.freshDatabase("servefiles")
        let job = try DashboardJobs.tem(url, frames: 4)
        let serve = try ServeProcess(database: url)
        let http = serve.client
        let frame = try http.request("/api/jobs/\(job)/tem/frames/0/image")
        XCTAssertEqual(frame.status, 200)
        XCTAssertEqual(frame.headers["content-type"], "image/png")
        XCTAssertEqual(Array(frame.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try http.request("/api/jobs/\(job)/tem/frames/99/image").status, 404)
        XCTAssertEqual(try http.request("/api/jobs/999/tem/frames/0/image").status, 404)
        for attempt in ["/api/jobs/\(job)/tem/frames/..%2F..%2F..%2Fetc%2Fpasswd/image", "/static/..%2F..%2Fetc%2Fpasswd",
                        "/api/jobs/\(job)/stem4d/images/..%2F..%2Fetc%2Fpasswd", "/api/jobs/\(job)/tem/export/..%2Fetc%2Fpasswd"] {
            let reply = try http.request(attempt)
            XCTAssertTrue([400, 404].contains(reply.status), "\(attempt): \(reply.status) \(reply.text)")
            XCTAssertFalse(reply.text.contains("root:"), attempt)
        }
        XCTAssertEqual(serve.stop(), 0)
    }
}
