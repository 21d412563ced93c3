import Shared
import SliplineTestSupport
import XCTest

final class DatabaseLayerTests: XCTestCase {
    func testArrayParametersRoundTripAwkwardText() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("arr"))
        let values = ["plain", "with \"quotes\"", "back\\slash", "comma, brace}{", "", "NULL"]
        let r = try conn.exec("SELECT unnest($1::text[])", [PGArray(values)])
        XCTAssertEqual((0..<r.rowCount).map { r.string($0, 0) }, values.map { Optional($0) })
        let withNull = try conn.exec("SELECT $1::int[] IS NOT NULL, array_length($1::int[], 1), ($1::int[])[2] IS NULL",
                                     [PGArray([1, nil, 3] as [(any PGValue)?])])
        XCTAssertEqual(withNull.allRows().first, ["t", "3", "t"])
    }

    func testParametersAreNeverSpliced() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("inj"))
        let evil = "x'); DROP TABLE jobs; --"
        let r = try conn.exec("SELECT $1::text", [evil])
        XCTAssertEqual(r.string(0, 0), evil)
        XCTAssertEqual(try conn.exec("SELECT to_regclass('jobs') IS NOT NULL").bool(0, 0), true)
        // One statement per call: a second statement is refused by the protocol itself.
        XCTAssertThrowsError(try conn.exec("SELECT 1; SELECT 2"))
    }

    func testMigratingTwiceChangesNothing() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("mig"))
        XCTAssertEqual(try Migrations.migrate(conn), [], "freshDatabase already migrated")
        let before = try conn.exec("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").allRows()
        XCTAssertEqual(try Migrations.migrate(conn), [])
        XCTAssertEqual(try conn.exec("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").allRows(), before)
        XCTAssertEqual(try Migrations.currentVersion(conn), Migrations.latestVersion)
        XCTAssertNoThrow(try Migrations.verify(conn))
    }

    func testAnEditedAppliedMigrationIsRefused() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("edited"))
        try conn.exec("UPDATE schema_migrations SET checksum = 'stale' WHERE version = 1")
        XCTAssertThrowsError(try Migrations.migrate(conn)) { error in
            XCTAssertTrue("\(error)".contains("must never be edited"), "\(error)")
        }
    }

    func testSchemaSectionsAreNumberedInOrder() {
        let versions = Migrations.all.map(\.version)
        XCTAssertFalse(versions.isEmpty)
        XCTAssertEqual(versions, Array(1...versions.count), "migrations must be numbered 1, 2, 3… without gaps")
    }

    func testPasswordsNeverAppearInMessages() {
        XCTAssertEqual(PGConnection.redacted("postgresql://worker:s3cret@db.example:5432/slipline"),
                       "postgresql://worker:***@db.example:5432/slipline")
        XCTAssertFalse(PGConnection.redacted("host=db user=w password=s3cret dbname=x").contains("s3cret"))
        XCTAssertFalse(PGConnection.redacted("postgresql://db/x?user=w&password=s3cret").contains("s3cret"))
        let error = DatabaseError.connectionFailed(target: PGConnection.redacted("host=/nonexistent password=hunter2"), detail: "no such file")
        XCTAssertFalse("\(error)".contains("hunter2"))
    }

    func testUnreachableDatabaseIsAClearError() {
        XCTAssertThrowsError(try PGConnection("host=/nonexistent-slipline dbname=x connect_timeout=2")) { error in
            XCTAssertTrue("\(error)".contains("cannot connect to the database"), "\(error)")
        }
    }
}
