/// One numbered section of `schema.sql`: DDL and data changes, applied once.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// FNV-1a of the section's text: recorded when applied, so that a section edited after
    /// it was applied somewhere is caught instead of silently diverging.
    public var checksum: String { SchemaChecksum.of(sql) }
}

/// The checksum `schema_migrations` and `schema_repeatables` record for a section's text.
enum SchemaChecksum {
    /// 64-bit FNV-1a of the UTF-8 text, in lower-case hex without leading zeros.
    static func of(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
