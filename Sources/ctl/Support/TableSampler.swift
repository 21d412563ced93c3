import Foundation
import Kinds
import Shared

/// One line of figures about the queue table `tasks`: rows live and dead, heap and index
/// sizes, autovacuum runs, optionally pgstattuple's exact dead and free space.
struct TableSampler {
    private let conn: PGConnection
    private let exact: Bool

    init(_ conn: PGConnection, exact: Bool) throws {
        self.conn = conn
        self.exact = exact
        if exact {
            do {
                try conn.exec("CREATE EXTENSION IF NOT EXISTS pgstattuple")
            } catch {
                throw UserError("--exact needs the pgstattuple extension (Debian: postgresql-contrib; creating it needs a superuser): \(error)")
            }
        }
    }

    static let header = "seconds | live rows | dead rows | heap MB | indexes MB | tasks_claimable MB | autovacuums | autoanalyzes | last autovacuum s ago | dead % | free % | claimable leaf density % | load"

    func line(at seconds: Double) throws -> String {
        let r = try conn.exec(
            """
            SELECT s.n_live_tup, s.n_dead_tup, pg_relation_size('tasks'), pg_indexes_size('tasks'),
                   pg_relation_size('tasks_claimable'), s.autovacuum_count, s.autoanalyze_count,
                   extract(epoch FROM now() - s.last_autovacuum)
            FROM pg_stat_user_tables s WHERE s.relid = 'tasks'::regclass
            """)
        let mb = { (column: Int) in String(format: "%.1f", Double(r.int64(0, column) ?? 0) / 1_048_576) }
        var fields = [
            String(format: "%.0f", seconds), "\(r.int64(0, 0) ?? 0)", "\(r.int64(0, 1) ?? 0)", mb(2), mb(3), mb(4),
            "\(r.int64(0, 5) ?? 0)", "\(r.int64(0, 6) ?? 0)", r.double(0, 7).map { String(format: "%.0f", $0) } ?? "never",
        ]
        if exact {
            let t = try conn.exec("SELECT dead_tuple_percent, free_percent FROM pgstattuple('tasks')")
            let i = try conn.exec("SELECT avg_leaf_density FROM pgstatindex('tasks_claimable')")
            fields += [t.double(0, 0), t.double(0, 1), i.double(0, 0)].map { $0.map { String(format: "%.1f", $0) } ?? "n/a" }
        } else {
            fields += ["-", "-", "-"]
        }
        return (fields + [LoadAverage.text]).joined(separator: " | ")
    }
}
