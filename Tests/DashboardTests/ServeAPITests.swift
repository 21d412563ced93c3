import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// `ctl serve` against a real finished TEM job and a live bench job: the JSON API and its
/// OpenAPI document, /metrics, live updates through LISTEN/NOTIFY, and a clean stop.
final class ServeAPITests: XCTestCase {
    func testEveryDocumentedPathAnswersAsDocumentedAndMetricsAreSlipline() throws {
        let url = try TestCluster.freshDatabase("serveapi")
        let job = try DashboardJobs.tem(url, frames: 6)
        let serve = try ServeProcess(database: url)
        print("ctl serve: listening \(String(format: "%.3f", serve.startupSeconds)) s after launch")
        let http = serve.client

        let jobs = try http.request("/api/jobs").json() as? [String: Any]
        let list = jobs?["jobs"] as? [[String: Any]] ?? []
        XCTAssertEqual(list.first?["id"] as? Int, job)
        XCTAssertEqual(list.first?["state"] as? String, "done")
        XCTAssertEqual(list.first?["kind"] as? String, "tem")

        let document = try XCTUnwrap(try http.request("/openapi.json").json() as? [String: Any])
        XCTAssertEqual((document["openapi"] as? String)?.hasPrefix("3."), true)
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        XCTAssertTrue(paths.keys.contains("/api/jobs") && paths.keys.contains("/metrics"))
        for (template, operations) in paths.sorted(by: { $0.key < $1.key }) {
            guard let get = operations["get"] as? [String: Any], template != "/api/events" else { continue }
            let documented = Set(((get["responses"] as? [String: Any]) ?? [:]).keys.compactMap(Int.init))
            let path = template.replacingOccurrences(of: "{id}", with: "\(job)").replacingOccurrences(of: "{index}", with: "0")
                .replacingOccurrences(of: "{table}", with: "tracks.csv").replacingOccurrences(of: "{name}", with: "stereo_0")
            let reply = try http.request(path)
            XCTAssertTrue(documented.contains(reply.status), "\(path) answered \(reply.status), documented \(documented): \(reply.text.prefix(300))")
            if reply.headers["content-type"]?.hasPrefix("application/json") == true {
                XCTAssertNoThrow(try reply.json(), path)
            }
        }
        let tem = try XCTUnwrap(try http.request("/api/jobs/\(job)/tem").json() as? [String: Any])
        XCTAssertEqual(tem["n_frames"] as? Int, 6)
        let curves = try XCTUnwrap(try http.request("/api/jobs/\(job)/tem/dislocations?from=0&to=5").json() as? [String: Any])
        XCTAssertFalse((curves["dislocations"] as? [Any] ?? []).isEmpty, "the generated frames hold dislocations")
        XCTAssertEqual(try http.request("/api/jobs/\(job)/tem/dislocations?from=5&to=1").status, 400)
        XCTAssertEqual(try http.request("/api/jobs/\(job)/tem/dislocations?from=0&to=99999").status, 400)
        let csv = try http.request("/api/jobs/\(job)/tem/export/tracks.csv")
        XCTAssertTrue(csv.text.hasPrefix("track_id,first_frame,last_frame"), csv.text)
        XCTAssertEqual(try http.request("/api/jobs/\(job)/tem/export/jobs.csv").status, 404)
        XCTAssertEqual(try http.request("/api/jobs/424242").status, 404)
        XCTAssertEqual(try http.request("/api/jobs/abc").status, 400)

        let metrics = try http.request("/metrics")
        XCTAssertEqual(metrics.status, 200)
        let samples = metrics.text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertFalse(samples.isEmpty)
        for line in samples { XCTAssertTrue(line.hasPrefix("slipline_"), String(line)) }
        XCTAssertTrue(metrics.text.contains("slipline_queue_tasks{state=\"done\"}"), metrics.text)
        XCTAssertTrue(metrics.text.contains("slipline_task_duration_seconds_count{kind=\"tem\",role=\"shard\"}"), metrics.text)
        XCTAssertTrue(metrics.text.contains("slipline_workers_alive"), metrics.text)
        XCTAssertEqual(serve.stop(), 0, serve.process.output)
    }

    func testLiveUpdatesFollowAJobAndSIGTERMEndsOpenStreams() throws {
        let url = try TestCluster.freshDatabase("servelive")
        // No fallback poll: every update below was pushed because the queue notified.
        let serve = try ServeProcess(database: url, arguments: ["--fallback-poll", "0"])
        let http = serve.client
        let stream = http.openStream("/api/events")
        XCTAssertTrue(eventually(timeout: 10) { http.received(stream).contains("event: jobs") }, http.received(stream))

        let tasks = 24
        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=\(tasks)", "--param", "sleep_ms=120", "--database", url])
        XCTAssertEqual(s, 0, out)
        let coordinator = try CtlProcess(["coordinator", "--database", url])
        let worker = try CtlProcess(["worker", "--slots", "1", "--database", url])
        defer { [worker, coordinator].forEach { $0.signal(SIGTERM) }; [worker, coordinator].forEach { $0.wait(timeout: 15) } }
        let began = Date()
        XCTAssertTrue(eventually(timeout: 90) { http.received(stream).contains("\"state\":\"done\"") }, String(http.received(stream).suffix(2000)))
        let followed = Date().timeIntervalSince(began)

        // Progress as the browser saw it: n_done of job 1 in each event, in order.
        let seen = http.received(stream).split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap { line -> Int? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
            return ((object?["jobs"] as? [[String: Any]])?.first { $0["id"] as? Int == 1 })?["n_done"] as? Int
        }
        XCTAssertEqual(seen, seen.sorted(), "progress never goes back")
        XCTAssertGreaterThanOrEqual(Set(seen).count, 4, "several intermediate updates, not just start and end: \(seen)")
        XCTAssertEqual(seen.last, tasks + 1, "the shards and the merge")
        // Paced: at most 4 pushes a second (plus the first list and the last push's slack).
        XCTAssertLessThanOrEqual(Double(seen.count), 4 * followed + 3, "\(seen.count) pushes in \(followed) s")
        print("live updates: \(seen.count) pushes in \(String(format: "%.1f", followed)) s for \(tasks + 1) tasks, no fallback poll: \(seen)")

        let stopping = Date()
        XCTAssertEqual(serve.stop(), 0, serve.process.output)
        print("ctl serve: stopped \(String(format: "%.2f", Date().timeIntervalSince(stopping))) s after SIGTERM with an open event stream")
        XCTAssertTrue(serve.process.output.contains("stopped"), serve.process.output)
    }

    func testWorkerServesItsOwnMetrics() throws {
        let url = try TestCluster.freshDatabase("workermetrics")
        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=5", "--database", url])
        XCTAssertEqual(s, 0, out)
        let coordinator = try CtlProcess(["coordinator", "--database", url])
        let worker = try CtlProcess(["worker", "--slots", "1", "--metrics-port", "0", "--metrics-host", "127.0.0.1", "--database", url])
        defer { [worker, coordinator].forEach { $0.signal(SIGTERM) }; [worker, coordinator].forEach { $0.wait(timeout: 15) } }
        var base: String?
        XCTAssertTrue(eventually(timeout: 30) {
            guard let r = worker.output.range(of: #"metrics at http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return false }
            base = String(worker.output[r].dropFirst("metrics at ".count))
            return true
        }, worker.output)
        let http = HTTPTestClient(base: try XCTUnwrap(base))
        let expected = "slipline_worker_tasks_total{kind=\"bench\",role=\"shard\",outcome=\"succeeded\"} 5"
        var text = ""
        XCTAssertTrue(eventually(timeout: 60) { text = (try? http.request("/metrics").text) ?? ""; return text.contains(expected) }, text)
        XCTAssertTrue(text.contains("slipline_task_duration_seconds_count{kind=\"bench\",role=\"shard\"} 5"), text)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") { XCTAssertTrue(line.hasPrefix("slipline_"), String(line)) }
    }

    func testLeasesReapedIsACounterThatCountsAKilledWorkersLease() throws {
        let url = try TestCluster.freshDatabase("reapedtotal")
        let serve = try ServeProcess(database: url)
        let http = serve.client
        func reaped() throws -> Double? {
            let text = try http.request("/metrics").text
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("slipline_leases_reaped_total ") }) else { return nil }
            return Double(line.split(separator: " ").last ?? "")
        }
        XCTAssertEqual(try reaped(), 0)
        XCTAssertTrue(try http.request("/metrics").text.contains("# TYPE slipline_leases_reaped_total counter"))

        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=2", "--param", "sleep_ms=60000",
                                           "--param", "merge=false", "--database", url])
        XCTAssertEqual(s, 0, out)
        let coordinator = try CtlProcess(["coordinator", "--database", url])
        defer { coordinator.signal(SIGTERM); coordinator.wait(timeout: 15) }
        let worker = try CtlProcess(["worker", "--slots", "1", "--lease", "2", "--database", url])
        let conn = try PGConnection(url)
        XCTAssertTrue(eventually(timeout: 60) {
            ((try? conn.exec("SELECT count(*) FROM tasks WHERE state = 'leased'").int(0, 0)) ?? 0) == 1
        })
        // Killed: no release, no goodbye; its lease expires and the coordinator reaps it.
        worker.signal(SIGKILL)
        worker.wait(timeout: 15)
        var value: Double?
        XCTAssertTrue(eventually(timeout: 60) { value = try? reaped(); return value == 1 }, "slipline_leases_reaped_total: \(value ?? -1)")
        // Monotonic: a retry resets the tasks' lost-lease counts and pruning deletes tasks; the counter stays.
        XCTAssertTrue(try TaskQueue.cancel(conn, job: 1))
        XCTAssertEqual(try TaskQueue.retry(conn, job: 1), 2)
        XCTAssertTrue(try TaskQueue.cancel(conn, job: 1))
        try conn.exec("UPDATE jobs SET finished_at = now() - interval '1 hour' WHERE id = 1")
        XCTAssertGreaterThan(try TaskQueue.prune(conn, olderThan: 60, batch: 100), 0)
        XCTAssertEqual(try reaped(), 1)
        XCTAssertEqual(serve.stop(), 0, serve.process.output)
    }
}
