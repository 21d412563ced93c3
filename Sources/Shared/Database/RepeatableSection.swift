/// A repeatable section of `schema.sql` (`-- repeatable: <name>`): objects re-created in place
/// with CREATE OR REPLACE (the SQL functions and their privileges). Applied after every
/// numbered migration, and again whenever its text differs from what the database recorded.
public struct RepeatableSection: Sendable, Equatable {
    public let name: String
    public let sql: String

    /// FNV-1a of the section's text, recorded in `schema_repeatables` when applied.
    public var checksum: String { SchemaChecksum.of(sql) }
}
