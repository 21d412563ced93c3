import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// Live job updates for the browsers: one connection LISTENs on `slipline_jobs` and
/// `slipline_tasks`, on which the queue announces new work, released merges, cancels, retries
/// and finished jobs; after each burst of notifications (gathered for 0.2 s) the job list is
/// read once and sent to every open event stream as a server-sent event. The queue does not
/// notify per finished task (that would cost every completion a NOTIFY), so while a job is
/// queued or running and someone is watching, the list is also re-read every second — one
/// read for all browsers — and every 5 s otherwise, so throughput falls back to zero.
///
/// A `Service`: on graceful shutdown it ends every open stream first, so the HTTP server is
/// not left waiting for responses that never end.
public final class JobEventHub: Service, @unchecked Sendable {
    private let conninfo: String
    private let logger: Logger
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<ByteBuffer>.Continuation] = [:]
    private var latest: ByteBuffer?
    private let stop = StopFlag()
    /// A burst of notifications is gathered for this long before one read.
    static let debounceSeconds = 0.2
    static let idleRefreshSeconds = 5.0
    static let activeRefreshSeconds = 1.0
    static let jobLimit = 100

    public init(conninfo: String, logger: Logger) {
        self.conninfo = conninfo
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
                try conn.listen("slipline_jobs")
                try conn.listen("slipline_tasks")
                // Listening registered; from here the session only reads.
                try ReadOnlySession.configure(conn)
                backoff = 0.5
                var active = try publish(conn)
                var lastPublish = Date()
                while !stop.isSet {
                    let notes = try conn.waitForNotifications(timeout: 0.25)
                    let every = active ? Self.activeRefreshSeconds : Self.idleRefreshSeconds
                    if !notes.isEmpty {
                        // Gather the rest of the burst, then one read for all of it.
                        Thread.sleep(forTimeInterval: Self.debounceSeconds)
                        _ = try conn.waitForNotifications(timeout: 0)
                    } else if subscriberCount == 0 || Date().timeIntervalSince(lastPublish) < every {
                        continue
                    }
                    active = try publish(conn)
                    lastPublish = Date()
                }
                conn.close()
            } catch {
                logger.warning("live updates paused: \(error)")
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 10)
            }
        }
    }

    /// Reads and sends the job list; returns whether a job is still queued or running.
    private func publish(_ conn: PGConnection) throws -> Bool {
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
        return jobs.contains { $0.state == "queued" || $0.state == "running" }
    }
}
