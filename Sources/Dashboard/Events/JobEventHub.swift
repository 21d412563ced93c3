import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// Live job updates for the browsers, pushed on LISTEN/NOTIFY: one connection LISTENs on
/// `slipline_progress` (a job's tasks are ending: the queue says so at most every 250 ms per
/// job), `slipline_jobs` (a job ended, was cancelled) and `slipline_tasks` (new work, released
/// merges, retries). On a notification the job list is read once and sent to every open event
/// stream as a server-sent event, paced by `LiveUpdatePacer` (≤ 4 pushes a second, one trailing
/// read after a burst, a slow fallback read for notifications missed while reconnecting).
/// With nobody watching, nothing is read.
///
/// A `Service`: on graceful shutdown it ends every open stream first, so the HTTP server is
/// not left waiting for responses that never end.
public final class JobEventHub: Service, @unchecked Sendable {
    private let conninfo: String
    private let logger: Logger
    private let fallbackSeconds: Double?
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<ByteBuffer>.Continuation] = [:]
    private var latest: ByteBuffer?
    /// A stream opened since the last look: read a fresh list for it.
    private var freshWanted = false
    private let stop = StopFlag()
    static let channels = ["slipline_progress", "slipline_jobs", "slipline_tasks"]
    static let jobLimit = 100
    /// Longest wait for a notification before the stop flag and the pacer are looked at again.
    static let wakeSeconds = 0.25

    /// - Parameter fallbackSeconds: re-read the job list at least this often while someone
    ///   watches (nil or 0: only on notifications).
    public init(conninfo: String, fallbackSeconds: Double?, logger: Logger) {
        self.conninfo = conninfo
        self.fallbackSeconds = (fallbackSeconds ?? 0) > 0 ? fallbackSeconds : nil
        self.logger = logger
    }

    /// A stream of SSE bytes: the current job list at once, then every update.
    public func subscribe() -> AsyncStream<ByteBuffer> {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(4))
        let id = UUID()
        continuation.yield(ByteBuffer(string: "retry: 2000\n\n"))
        lock.lock()
        if stop.isSet {
            lock.unlock()
            continuation.finish()
            return stream
        }
        subscribers[id] = continuation
        freshWanted = true
        let current = latest
        lock.unlock()
        if let current { continuation.yield(current) }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.lock(); self.subscribers.removeValue(forKey: id); self.lock.unlock()
        }
        return stream
    }

    public var subscriberCount: Int {
        lock.lock(); defer { lock.unlock() }
        return subscribers.count
    }

    /// Whether someone watches, and whether a stream opened since the last call.
    private func watchers() -> (watched: Bool, fresh: Bool) {
        lock.lock(); defer { lock.unlock() }
        let fresh = freshWanted
        freshWanted = false
        return (!subscribers.isEmpty, fresh)
    }

    public func run() async throws {
        let thread = Thread { [self] in listenLoop() }
        thread.name = "slipline.dashboard.listen"
        thread.start()
        try? await gracefulShutdown()
        finishAll()
    }

    /// Stops listening and ends every open stream (the browsers reconnect to the next server).
    func finishAll() {
        stop.signal()
        lock.lock()
        let open = subscribers.values
        subscribers.removeAll()
        lock.unlock()
        for continuation in open { continuation.finish() }
    }

    /// Runs on its own thread: libpq's wait for notifications blocks.
    private func listenLoop() {
        var backoff = 0.5
        while !stop.isSet {
            do {
                let conn = try PGConnection(conninfo, applicationName: "slipline-serve-events")
                for channel in Self.channels { try conn.listen(channel) }
                // Listening registered; from here the session only reads.
                try ReadOnlySession.configure(conn)
                backoff = 0.5
                try follow(conn)
                conn.close()
            } catch {
                logger.warning("live updates paused: \(error)")
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 10)
            }
        }
    }

    /// Waits for notifications and pushes the job list when the pacer says so, until stopped.
    /// A fresh pacer on every (re)connection: what happened while disconnected is read at once.
    private func follow(_ conn: PGConnection) throws {
        let clock = ContinuousClock()
        let origin = clock.now
        func now() -> Double { (clock.now - origin) / .seconds(1) }
        var pacer = LiveUpdatePacer(fallback: fallbackSeconds, startingAt: now())
        while !stop.isSet {
            let (watched, fresh) = watchers()
            if fresh { pacer.requested(at: now()) }
            if pacer.isDue(at: now(), watched: watched) {
                try publish(conn)
                pacer.published(at: now())
                continue
            }
            let wait = pacer.nextPublish(watched: watched).map { min(Self.wakeSeconds, max(0.001, $0 - now())) } ?? Self.wakeSeconds
            if try !conn.waitForNotifications(timeout: wait).isEmpty { pacer.notified(at: now()) }
        }
    }

    /// Reads and sends the job list.
    private func publish(_ conn: PGConnection) throws {
        let jobs = try JobSummary.recent(conn, limit: Self.jobLimit)
        let json = try JSONResponse.encode(JobList(jobs: jobs))
        var event = ByteBuffer(string: "event: jobs\ndata: ")
        event.writeBytes(json)
        event.writeString("\n\n")
        lock.lock()
        latest = event
        let targets = Array(subscribers.values)
        lock.unlock()
        for continuation in targets { continuation.yield(event) }
    }
}
