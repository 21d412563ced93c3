import Foundation
import SliplineTestSupport
import XCTest

/// The pages in a real browser (headless Chromium over the DevTools protocol): the jobs page
/// follows a running job, the TEM page draws a frame with its tracks and both plots, the 3D
/// view renders and turns. Screenshots are kept in the test's temporary directory.
final class BrowserTests: XCTestCase {
    var screens: Screenshots!

    override func setUpWithError() throws { screens = try Screenshots() }

    func shoot(_ browser: HeadlessChromium, _ name: String) throws { try screens.shoot(browser, name) }

    func testJobsPageProgressMovesWhileAJobRuns() throws {
        let url = try TestCluster.freshDatabase("browserjobs")
        // No fallback poll: the bar moves only because the queue notified.
        let serve = try ServeProcess(database: url, arguments: ["--fallback-poll", "0"])
        let browser = try HeadlessChromium()
        try browser.navigate(serve.base + "/")
        XCTAssertTrue(try browser.waitFor("document.querySelector('#jobs')", timeout: 20))

        let tasks = 30
        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=\(tasks)", "--param", "sleep_ms=150", "--database", url])
        XCTAssertEqual(s, 0, out)
        let coordinator = try CtlProcess(["coordinator", "--database", url])
        let worker = try CtlProcess(["worker", "--slots", "1", "--database", url])
        defer { [worker, coordinator].forEach { $0.signal(SIGTERM) }; [worker, coordinator].forEach { $0.wait(timeout: 15) } }

        XCTAssertTrue(try browser.waitFor("document.querySelector('tr[data-job=\"1\"][data-state=\"running\"]')", timeout: 60))
        try shoot(browser, "jobs-running")
        // The bar's fill matches the row's figures (a blocked style would draw it full).
        let barMatches = """
            (() => { const r = document.querySelector('tr[data-job="1"]'), b = r.querySelector('.bar'), f = b.firstChild;
              const want = (+r.dataset.done) / (+r.dataset.tasks || 1);
              return Math.abs(f.getBoundingClientRect().width / b.getBoundingClientRect().width - want) < 0.05; })()
            """
        XCTAssertEqual(try browser.evaluate(barMatches) as? Bool, true, browser.describe("document.querySelector('tr[data-job=\"1\"]').outerHTML"))
        XCTAssertTrue(try browser.waitFor("document.querySelector('tr[data-job=\"1\"][data-state=\"done\"]')", timeout: 90),
                      browser.describe("document.body.dataset.progressTrace"))
        try shoot(browser, "jobs-done")
        XCTAssertEqual(try browser.evaluate(barMatches) as? Bool, true)
        let trace = (try browser.evaluate("document.body.dataset.progressTrace") as? String ?? "").split(separator: ",").compactMap { Int($0) }
        XCTAssertEqual(trace, trace.sorted(), "progress never goes back: \(trace)")
        XCTAssertGreaterThanOrEqual(Set(trace.filter { $0 > 0 && $0 < tasks + 1 }).count, 3, "the bar moved through intermediate values without a reload: \(trace)")
        XCTAssertEqual(try browser.evaluate("document.querySelector('tr[data-job=\"1\"]').dataset.done") as? String, "\(tasks + 1)")
        XCTAssertEqual(try browser.evaluate("document.getElementById('live').classList.contains('on')") as? Bool, true)
    }

    func testTEMPageDrawsTheFrameTracksAndPlots() throws {
        let url = try TestCluster.freshDatabase("browsertem")
        let job = try DashboardJobs.tem(url, frames: 6)
        let serve = try ServeProcess(database: url)
        let browser = try HeadlessChromium()
        try browser.navigate(serve.base + "/jobs/\(job)")
        XCTAssertTrue(try browser.waitFor("document.body.dataset.temPlotsMs", timeout: 30),
                      browser.describe("document.getElementById('app').innerText"))
        XCTAssertGreaterThanOrEqual(Int(try browser.evaluate("document.getElementById('frame').dataset.curves") as? String ?? "") ?? 0, 1)
        XCTAssertGreaterThan(Int(try browser.evaluate("document.getElementById('velocity').dataset.points") as? String ?? "") ?? 0, 0)
        XCTAssertNotNil(try browser.evaluate("document.getElementById('pairs').dataset.points") as? String)
        // The overlay really is on the canvas: some pixel is coloured (a grey frame has r = g = b).
        let coloured = try browser.evaluate("""
            (() => { const c = document.getElementById('frame'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0; for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[i + 1]) > 40 || Math.abs(d[i + 1] - d[i + 2]) > 40) n++; return n; })()
            """) as? Int ?? 0
        XCTAssertGreaterThan(coloured, 20, "track colours drawn over the frame")
        try shoot(browser, "tem-frame0")
        // Scrub to the last frame.
        _ = try browser.evaluate("(() => { const s = document.getElementById('scrub'); s.value = s.max; s.dispatchEvent(new Event('input')); })()")
        XCTAssertTrue(try browser.waitFor("document.getElementById('frame').dataset.frame === '5'", timeout: 20))
        try shoot(browser, "tem-frame5")
        print("TEM page (6 frames): first frame with overlay \(try browser.evaluate("document.body.dataset.temReadyMs") ?? "?") ms, plots \(try browser.evaluate("document.body.dataset.temPlotsMs") ?? "?") ms")
    }

    func testBCDIPageRendersPsiProjectionsAndTurningLines() throws {
        let url = try TestCluster.freshDatabase("browserbcdi")
        let job = try DashboardJobs.bcdi(url)
        let serve = try ServeProcess(database: url)
        let browser = try HeadlessChromium()
        try browser.navigate(serve.base + "/jobs/\(job)")
        XCTAssertTrue(try browser.waitFor("document.body.dataset.bcdiReady", timeout: 30),
                      browser.describe("document.getElementById('app').innerText"))
        let rendered = Int(try browser.evaluate("document.getElementById('view3d').dataset.rendered") as? String ?? "") ?? 0
        XCTAssertGreaterThan(rendered, 10, "line segments drawn in 3D")
        XCTAssertEqual(try browser.evaluate("[...document.querySelectorAll('canvas.psi')].filter(c => c.width === 32).length") as? Int, 3)
        try shoot(browser, "bcdi-before")
        let yaw = try browser.evaluate("document.getElementById('view3d').dataset.yaw") as? String
        // Drag across the view as a user would.
        _ = try browser.evaluate("""
            (() => { const c = document.getElementById('view3d'), r = c.getBoundingClientRect();
              const ev = (t, x) => c.dispatchEvent(new PointerEvent(t, { clientX: r.left + x, clientY: r.top + 100, pointerId: 1, bubbles: true }));
              ev('pointerdown', 100); ev('pointermove', 180); ev('pointerup', 180); })()
            """)
        XCTAssertNotEqual(try browser.evaluate("document.getElementById('view3d').dataset.yaw") as? String, yaw, "the view turned")
        try shoot(browser, "bcdi-turned")
    }

    func testSTEM4DPageShowsTheStereoPairParticlesIn3DAndGr() throws {
        let url = try TestCluster.freshDatabase("browserstem")
        let job = try DashboardJobs.stem4d(url)
        let serve = try ServeProcess(database: url)
        let browser = try HeadlessChromium()
        try browser.navigate(serve.base + "/jobs/\(job)")
        XCTAssertTrue(try browser.waitFor("document.body.dataset.stemReady", timeout: 30),
                      browser.describe("document.getElementById('app').innerText"))
        // Both halves of each stereo pair are real decoded images, not broken links.
        XCTAssertTrue(try browser.waitFor(
            "[...document.querySelectorAll('#stereo img')].length >= 2 && [...document.querySelectorAll('#stereo img')].every(i => i.complete && i.naturalWidth === 64)",
            timeout: 20), browser.describe("[...document.querySelectorAll('#stereo img')].map(i => i.naturalWidth).join()"))
        XCTAssertGreaterThan(Int(try browser.evaluate("document.getElementById('view3d').dataset.rendered") as? String ?? "") ?? 0, 0,
                             "particles drawn in 3D")
        XCTAssertGreaterThan(Int(try browser.evaluate("document.getElementById('rdf').dataset.points") as? String ?? "") ?? 0, 3, "g(r) drawn")
        try shoot(browser, "stem4d")
    }
}
