import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format, for `ctl serve` (queue figures) and for
/// `ctl worker --metrics-port` (the worker's own task figures).
public enum MetricsEndpoint {
    static func register<Context: RequestContext>(on router: Router<Context>, scrape: @escaping @Sendable () async throws -> [UInt8]) {
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: try await scrape())))
        }
    }

    /// Makes swift-metrics record into a Prometheus registry for the whole process (once) and
    /// returns that registry; the worker's task timers and counters then land there.
    public static func bootstrapProcessMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = DurationBuckets.tasks
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// Serves `registry` on `host:port` at /metrics until the process ends (a worker's
    /// endpoint: no database, no job data, only counters). Returns once listening.
    public static func serveInBackground(registry: PrometheusCollectorRegistry, listen: ListenAddress, logger: Logger) throws -> ListenAddress {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        register(on: router) { registry.emitToBuffer() }
        let bound = BoundPort()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? listen.port) },
            logger: logger)
        Task {
            do { try await app.run() } catch { logger.error("metrics endpoint stopped: \(error)") }
            bound.set(-1)
        }
        let port = bound.wait()
        guard port >= 0 else { throw DashboardSetupError("cannot serve metrics on \(listen): the address is in use or not on this host") }
        return ListenAddress(host: listen.host, port: port)
    }
}

/// The port a server bound, handed from its start-up task to the thread that waits for it.
private final class BoundPort: @unchecked Sendable {
    private let condition = NSCondition()
    private var port: Int?
    func set(_ value: Int) {
        condition.lock(); if port == nil { port = value }; condition.broadcast(); condition.unlock()
    }
    func wait() -> Int {
        condition.lock(); defer { condition.unlock() }
        while port == nil { condition.wait() }
        return port ?? -1
    }
}
