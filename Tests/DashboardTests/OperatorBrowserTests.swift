import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The operator's side in a real browser: the workers page shows a live worker with the task
/// it holds and its heartbeat; an operator clicks cancel on a running job and retry on a
/// failed one and sees the outcome; a reader sees no buttons and the API refuses it.
final class OperatorBrowserTests: XCTestCase {
    var screens: Screenshots!

    override func setUpWithError() throws { screens = try Screenshots() }

    func shoot(_ browser: HeadlessChromium, _ name: String) throws { try screens.shoot(browser, name) }

    func testWorkersPageAndOperatorButtonsInTheBrowser() throws {
        let url = try TestCluster.freshDatabase("browserops")
        let reader = "reader-" + UUID().uuidString, op = "operator-" + UUID().uuidString
        let file = try TestFiles.temporaryDirectory("tokens") + "/tokens"
        try "reader \(reader)\noperator \(op)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let conn = try PGConnection(url)
        // A job that ends done at once, one that fails at once (next in line), and a long one to cancel while it runs.
        let quick = try TaskQueue.submit(conn, kind: "bench", input: "quick", params: ["tasks": "1"], priority: 9)
        let failing = try TaskQueue.submit(conn, kind: "bench", input: "fails", params: ["tasks": "2", "fail": "always", "merge": "false"],
                                           priority: 5, maxAttempts: 1, retryBaseSeconds: 0.01)
        let long = try TaskQueue.submit(conn, kind: "bench", input: "long", params: ["tasks": "100", "sleep_ms": "400"])
        let serve = try ServeProcess(database: url, arguments: ["--token-file", file])
        let coordinator = try CtlProcess(["coordinator", "--database", url])
        let worker = try CtlProcess(["worker", "--slots", "1", "--lease", "6", "--database", url])
        defer { [worker, coordinator].forEach { $0.signal(SIGTERM) }; [worker, coordinator].forEach { $0.wait(timeout: 15) } }

        let browser = try HeadlessChromium()
        // The workers page: the live worker, the task it holds, a recent heartbeat.
        try browser.navigate(serve.base + "/workers?token=\(op)")
        let holding = "document.querySelector('tr[data-worker][data-alive=\"true\"][data-hold-jobs=\"\(long)\"]')"
        XCTAssertTrue(try browser.waitFor(holding, timeout: 60), browser.describe("document.getElementById('app').innerText"))
        let row = try XCTUnwrap(try browser.evaluate("(() => { const r = \(holding); return [r.dataset.holds, r.dataset.heartbeatAge, r.innerText]; })()") as? [Any])
        let held = try XCTUnwrap(Int64(String(describing: row[0]).split(separator: ",").first.map(String.init) ?? ""))
        let leased = try conn.exec("SELECT job_id FROM tasks WHERE id = $1 AND state IN ('leased', 'done')", [held]).int64(0, 0)
        XCTAssertEqual(leased, long, "the task shown is one of the running job's: \(row)")
        XCTAssertLessThan(Double(String(describing: row[1])) ?? 99, 10, "heartbeat within the last lease: \(row)")
        XCTAssertTrue(String(describing: row[2]).contains("task \(held)"), "\(row)")
        try shoot(browser, "workers")

        // The jobs page as operator: the failed job offers retry, the running one cancel.
        try browser.navigate(serve.base + "/")
        XCTAssertTrue(try browser.waitFor("document.querySelector('tr[data-job=\"\(failing)\"][data-state=\"failed\"] button.retry')", timeout: 60),
                      browser.describe("document.getElementById('jobs').innerText"))
        XCTAssertTrue(try browser.waitFor("document.querySelector('tr[data-job=\"\(long)\"][data-state=\"running\"] button.cancel')", timeout: 30))
        try shoot(browser, "operator-before")
        // The button is held down across a live push (the running job pushes several a second):
        // the re-rendered table must keep the button, or the click is lost.
        let updates = try browser.evaluate("document.body.dataset.jobsUpdates") as? String ?? "0"
        try browser.click("tr[data-job=\"\(long)\"] button.cancel", heldUntil: "+document.body.dataset.jobsUpdates > \(Int(updates) ?? 0)")
        XCTAssertTrue(try browser.waitFor("document.querySelector('tr[data-job=\"\(long)\"][data-state=\"cancelled\"]')", timeout: 20),
                      browser.describe("document.getElementById('action-result').innerText"))
        XCTAssertEqual(try browser.evaluate("document.getElementById('action-result').dataset.outcome") as? String, "ok")
        XCTAssertTrue((try browser.evaluate("document.getElementById('action-result').innerText") as? String ?? "").contains("job \(long) cancelled"))
        XCTAssertEqual(try TaskQueue.job(conn, id: long)?.state, .cancelled)
        try shoot(browser, "operator-cancelled")

        let ended = try conn.exec("SELECT extract(epoch from max(finished_at)) FROM tasks WHERE job_id = $1", [failing]).double(0, 0) ?? 0
        try browser.click("tr[data-job=\"\(failing)\"] button.retry")
        XCTAssertTrue(try browser.waitFor("(document.getElementById('action-result').innerText || '').includes('2 task(s) queued again')", timeout: 20),
                      browser.describe("document.getElementById('action-result').innerText"))
        // Retried, it runs and fails again (its tasks always fail): the row went through a new attempt.
        XCTAssertTrue(eventually(timeout: 30) {
            ((try? conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND attempts = 1 AND state = 'dead' AND finished_at > to_timestamp($2)", [failing, ended]).int(0, 0)) ?? 0) == 2
        }, "the retried job's tasks (id, state, attempts, worker, finished after the retry): "
            + "\((try? conn.exec("SELECT id, state, attempts, worker_id, finished_at > to_timestamp($2) FROM tasks WHERE job_id = $1 ORDER BY id", [failing, ended]).allRows()) ?? [])"
            + "; workers: \((try? conn.exec("SELECT id, state, extract(epoch from now() - heartbeat_at)::int FROM workers").allRows()) ?? [])")
        XCTAssertTrue(try browser.waitFor("document.querySelector('tr[data-job=\"\(failing)\"][data-state=\"failed\"]')", timeout: 20))
        try shoot(browser, "operator-retried")

        // Retrying a done job (no button offers it; the API is asked directly) is refused and leaves it done.
        let doneRetry = try XCTUnwrap(try browser.evaluate("""
            fetch('/api/jobs/\(quick)/retry', { method: 'POST', headers: { 'X-Slipline-Request': '1' } })
              .then(r => r.json().then(b => [r.status, b.message, b.job.state]))
            """) as? [Any], "the reply")
        XCTAssertEqual(doneRetry.first as? Int, 409, "\(doneRetry)")
        XCTAssertTrue("\(doneRetry)".contains("nothing to retry"), "\(doneRetry)")
        XCTAssertEqual(doneRetry.last as? String, "done")
        XCTAssertEqual(try TaskQueue.job(conn, id: quick)?.state, .done)

        // A reader: no buttons, and the API refuses the action from the page too.
        let readerBrowser = try HeadlessChromium()
        try readerBrowser.navigate(serve.base + "/?token=\(reader)")
        XCTAssertTrue(try readerBrowser.waitFor("document.querySelector('tr[data-job=\"\(failing)\"]')", timeout: 30))
        XCTAssertEqual(try readerBrowser.evaluate("document.querySelectorAll('#jobs button').length") as? Int, 0)
        XCTAssertEqual(try readerBrowser.evaluate("document.getElementById('access').textContent") as? String, "read-only")
        let refused = try readerBrowser.evaluate("""
            fetch('/api/jobs/\(failing)/retry', { method: 'POST', headers: { 'X-Slipline-Request': '1' } }).then(r => r.status)
            """) as? Int
        XCTAssertEqual(refused, 403)
        try shoot(readerBrowser, "reader-no-buttons")
    }
}
