import Shared
import SliplineTestSupport
import XCTest

/// The catalog the in-memory store checks result rows against is the database's.
final class SchemaCatalogTests: XCTestCase {
    func testTheCatalogHasTheColumnsOfEveryTableInTheDatabase() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("catalog"))
        let r = try conn.exec(
            """
            SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
              AND c.relname NOT IN ('schema_migrations', 'schema_repeatables')
            """)
        var database: [String: Set<String>] = [:]
        for row in r.allRows() { database[row[0] ?? "", default: []].insert(row[1] ?? "") }
        let catalog = SchemaCatalog.embedded.tables.mapValues { Set($0.keys) }
        XCTAssertEqual(catalog, database)
    }
}
