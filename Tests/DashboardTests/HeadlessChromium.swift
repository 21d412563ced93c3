import Foundation
import Glibc

/// Debian's `chromium`, headless, driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands in on fd 3, replies out on fd 4, each a JSON text
/// ended by NUL) — no driver program, no library. Enough to open a page, evaluate script in
/// it, and save a screenshot.
final class HeadlessChromium: @unchecked Sendable {
    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: String
    private let condition = NSCondition()
    private var replies: [Int: [String: Any]] = [:]
    private var nextId = 0
    private var closed = false
    private var session: String?

    /// The browser binary, or nil when it is not installed (`ops/install-test-deps.sh`).
    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(width: Int = 1400, height: Int = 900) throws {
        guard let executable = Self.executable else {
            throw BrowserError("chromium is not installed: run ops/install-test-deps.sh (Debian package `chromium`)")
        }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-chromium-\(UUID().uuidString.prefix(8))").path
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw BrowserError("pipe failed") }
        // Move every end above 4 (so the dup2 onto 3 and 4 below cannot clobber one), close-on-exec.
        for i in 0..<2 {
            let (a, b) = (fcntl(input[i], F_DUPFD_CLOEXEC, 10), fcntl(output[i], F_DUPFD_CLOEXEC, 10))
            close(input[i]); close(output[i])
            input[i] = a; output[i] = b
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, input[0], 3)
        posix_spawn_file_actions_adddup2(&actions, output[1], 4)
        let arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--remote-debugging-pipe",
            "--user-data-dir=\(profile)", "--window-size=\(width),\(height)", "about:blank",
        ]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(input[0]); close(output[1])
        guard spawned == 0 else { throw BrowserError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        pid = child
        toBrowser = input[1]
        fromBrowser = output[0]
        let reader = Thread { [self] in readLoop() }
        reader.start()
        let target = try command("Target.createTarget", ["url": "about:blank"], inSession: false)
        guard let targetId = target["targetId"] as? String else { throw BrowserError("no target: \(target)") }
        let attached = try command("Target.attachToTarget", ["targetId": targetId, "flatten": true], inSession: false)
        session = attached["sessionId"] as? String
        _ = try command("Page.enable")
        _ = try command("Runtime.enable")
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(toBrowser); close(fromBrowser)
        try? FileManager.default.removeItem(atPath: profile)
    }

    func navigate(_ url: String) throws {
        let reply = try command("Page.navigate", ["url": url])
        if let error = reply["errorText"] as? String { throw BrowserError("cannot open \(url): \(error)") }
    }

    /// Evaluates `expression` in the page and returns its JSON value.
    func evaluate(_ expression: String) throws -> Any? {
        let reply = try command("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = reply["exceptionDetails"] { throw BrowserError("script failed: \(exception)") }
        return (reply["result"] as? [String: Any])?["value"]
    }

    /// The value of `expression` as text, for failure messages (never throws).
    func describe(_ expression: String) -> String {
        guard let value = try? evaluate(expression) else { return "?" }
        return "\(value)"
    }

    /// Polls `expression` until it is true (returns true) or `timeout` passes (returns false).
    /// A script error counts as "not yet": right after navigating, the old document or none
    /// may still be there.
    func waitFor(_ expression: String, timeout: Double) throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let probe = "(() => { try { return Boolean(\(expression)); } catch (e) { return false; } })()"
        while Date() < deadline {
            if (try evaluate(probe) as? Bool) == true { return true }
            usleep(100_000)
        }
        return (try evaluate(probe) as? Bool) == true
    }

    /// Clicks the element `selector` names the way a user does: a left mouse press and release
    /// at its centre, dispatched as input events (so it must be visible and not covered).
    ///
    /// `heldUntil`, if given, is a script expression waited for (up to 20 s) between the press
    /// and the release: a page that re-renders while the button is held must still get the click.
    func click(_ selector: String, heldUntil: String? = nil) throws {
        let literal = String(data: try JSONSerialization.data(withJSONObject: [selector]), encoding: .utf8) ?? "[]"
        let centre = try evaluate("""
            (() => { const e = document.querySelector(\(literal)[0]); if (!e) return null; e.scrollIntoView({ block: 'center' });
              const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()
            """) as? [Double]
        guard let centre, centre.count == 2 else { throw BrowserError("nothing to click: no element matches \(selector)") }
        for type in ["mousePressed", "mouseReleased"] {
            if type == "mouseReleased", let heldUntil, !(try waitFor(heldUntil, timeout: 20)) {
                throw BrowserError("while holding the mouse on \(selector): \(heldUntil) never became true")
            }
            _ = try command("Input.dispatchMouseEvent", ["type": type, "x": centre[0], "y": centre[1], "button": "left", "clickCount": 1])
        }
    }

    /// Saves a PNG screenshot of the page.
    func screenshot(to path: String) throws {
        let reply = try command("Page.captureScreenshot", ["format": "png"])
        guard let base64 = reply["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw BrowserError("no screenshot data")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    // MARK: protocol

    private func command(_ method: String, _ params: [String: Any] = [:], inSession: Bool = true, timeout: Double = 30) throws -> [String: Any] {
        condition.lock()
        nextId += 1
        let id = nextId
        condition.unlock()
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if inSession, let session { message["sessionId"] = session }
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        let written = bytes.withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw BrowserError("chromium closed its pipe") }
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while replies[id] == nil && !closed {
            if !condition.wait(until: deadline) { throw BrowserError("\(method): no reply in \(timeout) s") }
        }
        guard let reply = replies.removeValue(forKey: id) else { throw BrowserError("chromium exited during \(method)") }
        if let error = reply["error"] { throw BrowserError("\(method): \(error)") }
        return reply["result"] as? [String: Any] ?? [:]
    }

    private func readLoop() {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fromBrowser, &chunk, chunk.count)
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            while let end = buffer.firstIndex(of: 0) {
                let message = buffer[buffer.startIndex..<end]
                buffer = Data(buffer[(end + 1)...])
                guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
                      let id = object["id"] as? Int else { continue }
                condition.lock(); replies[id] = object; condition.broadcast(); condition.unlock()
            }
        }
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }
}

struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
