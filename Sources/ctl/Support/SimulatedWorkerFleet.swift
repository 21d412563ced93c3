import Foundation
import Kinds
import Shared

/// `ctl bench workers`' fleet: `count` simulated workers, each a thread with its own connection,
/// started together (each after its own random delay) and joined; what they measured, summed.
final class SimulatedWorkerFleet {
    private let workers: [SimulatedWorker]
    let stop = StopFlag()

    /// Connects every worker, one after another (a burst of simultaneous connects overflows a
    /// pooler's listen backlog). Throws on the first connection that fails, naming its number.
    init(count: Int, conninfo: String, job: Int64, leaseSeconds: Double) throws {
        var opened: [SimulatedWorker] = []
        for i in 0..<count {
            do {
                opened.append(try SimulatedWorker(id: "sim-\(getpid())-\(i)", conninfo: conninfo, job: job, leaseSeconds: leaseSeconds))
            } catch {
                throw UserError("""
                    simulated worker \(i + 1) of \(count) could not connect: \(error). \
                    Fewer --count, a larger max_connections, or a pooler (ops/pgbouncer-bench.sh) for --worker-database.
                    """)
            }
        }
        workers = opened
    }

    /// Runs every worker on its own thread, starts spread uniformly over `stagger` seconds;
    /// returns when all have stopped, or stops them after `timeout` seconds (then false).
    func run(stagger: Double, timeout: Double, oneCall: Bool) -> Bool {
        let group = DispatchGroup()
        var rng = SystemRandomNumberGenerator()
        for worker in workers {
            let delay = stagger > 0 ? Double.random(in: 0..<stagger, using: &rng) : 0
            group.enter()
            let thread = Thread { [stop] in
                worker.run(startDelay: delay, stop: stop, oneCall: oneCall)
                group.leave()
            }
            thread.stackSize = 512 * 1024  // a thousand threads that only sleep and call libpq
            thread.start()
        }
        let finished = group.wait(timeout: .now() + timeout) == .success
        if !finished {
            stop.signal()
            _ = group.wait(timeout: .now() + 60)
        }
        return finished
    }

    /// Every worker's tally, summed (latencies pooled).
    var total: SimulatedWorker.Tally {
        var sum = SimulatedWorker.Tally()
        for w in workers {
            let t = w.tally
            sum.claimSeconds += t.claimSeconds
            sum.completeSeconds += t.completeSeconds
            sum.taskSeconds += t.taskSeconds
            sum.busySeconds += t.busySeconds
            sum.ran += t.ran
            sum.refused += t.refused
            if sum.error == nil { sum.error = t.error }
        }
        return sum
    }

    var errorCount: Int { workers.filter { $0.tally.error != nil }.count }
}

/// Quantiles of a sample (nearest rank), for latency figures.
enum Quantile {
    static func of(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }
}
