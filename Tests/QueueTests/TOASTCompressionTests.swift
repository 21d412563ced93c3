import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Migration 16: the TEM curves' points and the merges' outputs TOAST-compressed with lz4 where
/// the server is built with it — on a new database, and on one upgraded from version 15, whose
/// stored rows keep pglz and stay readable (docs/tem.md, tem-speed-33).
final class TOASTCompressionTests: XCTestCase {
    /// The columns migration 16 sets, as (table, column).
    static let columns = [("tem_dislocation_results", "points"), ("shard_outputs", "output")]

    func testANewDatabaseStoresThePointsWithLZ4() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("lz4new"))
        XCTAssertTrue(try Self.serverHasLZ4(conn), "the test servers (Debian's PostgreSQL) are built with lz4")
        for (table, column) in Self.columns {
            XCTAssertEqual(try Self.compression(conn, table, column), "l", "\(table).\(column)")
        }
        let job = try Self.temTask(conn)
        try Self.insertCurve(conn, job: job, frame: 0)
        XCTAssertEqual(try Self.storedCompression(conn, job: job), ["lz4"], "a 50-point centreline is compressed, with lz4")
        try conn.exec("INSERT INTO shard_outputs (task_id, job_id, output) VALUES ($1, $2, $3::jsonb)",
                      [job.task, job.job, "[" + (0..<2000).map { "[\($0).125,\($0 % 7).5]" }.joined(separator: ",") + "]"])
        XCTAssertEqual(try conn.exec("SELECT pg_column_compression(output) FROM shard_outputs").allRows(), [["lz4"]])
    }

    func testADatabaseAtVersion15UpgradesAndKeepsItsPglzRowsReadable() throws {
        let conn = try PGConnection(try TestCluster.emptyDatabase("lz4upgrade"))
        try conn.transaction {
            try conn.exec("""
                CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                                                applied_at timestamptz NOT NULL DEFAULT now())
                """)
            for migration in Migrations.all where migration.version <= 15 {
                try conn.execScript(StaticOrEmbedded(migration: migration))
                try conn.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                              [migration.version, migration.name, migration.checksum])
            }
        }
        for (table, column) in Self.columns {
            XCTAssertEqual(try Self.compression(conn, table, column), "", "version 15: the server's default (pglz)")
        }
        let job = try Self.temTask(conn)
        try Self.insertCurve(conn, job: job, frame: 0)
        let before = try conn.exec("SELECT points::text FROM tem_dislocation_results").allRows()

        let report = try Migrations.run(conn)
        XCTAssertEqual(report.versions, Migrations.all.map(\.version).filter { $0 > 15 })
        XCTAssertTrue(report.versions.contains(16))
        for (table, column) in Self.columns {
            XCTAssertEqual(try Self.compression(conn, table, column), "l", "\(table).\(column)")
        }
        try Self.insertCurve(conn, job: job, frame: 1)
        XCTAssertEqual(try Self.storedCompression(conn, job: job), ["pglz", "lz4"], "stored rows keep pglz; new rows lz4")
        let after = try conn.exec("SELECT points::text FROM tem_dislocation_results ORDER BY frame_index").allRows()
        XCTAssertEqual(after.first, before.first, "the pglz row reads back as before")
        XCTAssertEqual(after.count, 2)
        XCTAssertEqual(after[1], after[0], "the same points, stored either way, read back the same")
        XCTAssertNoThrow(try Migrations.verify(conn))
        XCTAssertTrue(try Migrations.run(conn).isEmpty)
    }

    /// Whether the server is built with lz4: `default_toast_compression` lists it (PostgreSQL 14+),
    /// the probe migration 16 reads.
    static func serverHasLZ4(_ conn: PGConnection) throws -> Bool {
        try conn.exec("SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").bool(0, 0) ?? false
    }

    /// `pg_attribute.attcompression` of a column: "l" lz4, "p" pglz, "" the server's default.
    static func compression(_ conn: PGConnection, _ table: String, _ column: String) throws -> String? {
        try conn.exec("SELECT attcompression::text FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2",
                      [table, column]).string(0, 0)
    }

    /// A TEM job with one shard task, as rows of its own.
    static func temTask(_ conn: PGConnection) throws -> (job: Int64, task: Int64) {
        let job = try XCTUnwrap(try conn.exec("INSERT INTO jobs (kind, input) VALUES ('tem', 'v') RETURNING id").int64(0, 0))
        let task = try XCTUnwrap(try conn.exec(
            "INSERT INTO tasks (job_id, kind, role, payload) VALUES ($1, 'tem', 'shard', '{}') RETURNING id", [job]).int64(0, 0))
        return (job, task)
    }

    /// One dislocation row of frame `frame` with a 50-point centreline (≈ 2 kB of jsonb, as a job's).
    static func insertCurve(_ conn: PGConnection, job: (job: Int64, task: Int64), frame: Int) throws {
        let points = "[" + (0..<50).map { i in "[\(100 + i * 3).\(100 + i * 7 % 900),\(200 + i).\(500 + i * 13 % 500)]" }
            .joined(separator: ",") + "]"
        try conn.exec("""
            INSERT INTO tem_dislocation_results (task_id, job_id, frame_index, frame_file, dislocation_id, points, length_px,
                                                 mean_curvature, max_curvature, mean_response, centroid_x, centroid_y)
            VALUES ($1, $2, $3, 'f.png', 0, $4::jsonb, 150.5, 0.01, 0.05, 7.25, 175.5, 224.5)
            """, [job.task, job.job, frame, points])
    }

    /// How each stored row's points are compressed (`pg_column_compression`), by frame.
    static func storedCompression(_ conn: PGConnection, job: (job: Int64, task: Int64)) throws -> [String?] {
        try conn.exec("SELECT pg_column_compression(points) FROM tem_dislocation_results WHERE job_id = $1 ORDER BY frame_index",
                      [job.job]).allRows().map { $0[0] }
    }
}
