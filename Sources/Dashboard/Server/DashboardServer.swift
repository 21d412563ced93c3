import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// `ctl serve`: the HTTP server, its routes, the live-update hub and the metrics, run as one
/// service group that stops cleanly on SIGTERM/SIGINT (event streams first, then the server).
public final class DashboardServer: Sendable {
    public let configuration: DashboardConfiguration
    let database: DashboardDatabase
    let events: JobEventHub
    let metrics: QueueMetrics
    let logger: Logger

    /// Connects to the database (a wrong URL fails here, before anything listens).
    public init(configuration: DashboardConfiguration, conninfo: String, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        database = try DashboardDatabase(conninfo: conninfo)
        events = JobEventHub(conninfo: conninfo, fallbackSeconds: configuration.fallbackPollSeconds, logger: logger)
        metrics = QueueMetrics(database: database)
    }

    func makeRouter() -> Router<DashboardContext> {
        let router = Router(context: DashboardContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: AccessMiddleware(policy: configuration.policy))
        StaticAssets().register(on: router)
        JobsAPI(database: database).register(on: router)
        WorkersAPI(database: database).register(on: router)
        TEMAPI(database: database).register(on: router)
        BCDIAPI(database: database).register(on: router)
        STEM4DAPI(database: database).register(on: router)
        router.get("/api/events") { [events] _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: .init(asyncSequence: events.subscribe()))
        }
        router.get("/api/session") { _, context -> Response in
            try JSONResponse.make(["access": context.access == .operator ? "operator" : "reader"])
        }
        MetricsEndpoint.register(on: router) { [metrics] in try await metrics.scrape() }
        return router
    }

    /// Serves until SIGTERM/SIGINT; `onListening` gets the bound address (port 0 resolved).
    public func run(onListening: @escaping @Sendable (ListenAddress) -> Void = { _ in }) async throws {
        let listen = configuration.listen
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
            onServerRunning: { channel in
                onListening(ListenAddress(host: listen.host, port: channel.localAddress?.port ?? listen.port))
            },
            logger: logger)
        // Reverse order on shutdown: the event hub ends open streams, then the server drains.
        let group = ServiceGroup(configuration: .init(
            services: [app, events], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { database.close() }
        try await group.run()
    }

    /// Runs `run` from synchronous code (the `ctl` commands) and returns when it ends.
    public func runBlocking(onListening: @escaping @Sendable (ListenAddress) -> Void) throws {
        try BlockingTask.run { try await self.run(onListening: onListening) }
    }
}

/// Waits on the calling thread for an async body (commands are synchronous).
public enum BlockingTask {
    public static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        // Written by the task before it signals, read after the wait: the semaphore orders them.
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await body() } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure { throw failure }
    }
}
