/// What one run of `Migrations.run` changed.
public struct MigrationReport: Sendable, Equatable {
    /// Numbered migrations applied now, in order.
    public var versions: [Int] = []
    /// Repeatable sections (re-)applied now because the database had not recorded their text.
    public var repeatables: [String] = []
    /// Versions whose recorded checksum was that of an earlier, superseded text of the section
    /// (see `Migrations.supersededChecksums`) and was rewritten to the current one.
    public var adopted: [Int] = []

    /// Whether the database was already up to date.
    public var isEmpty: Bool { versions.isEmpty && repeatables.isEmpty && adopted.isEmpty }
}
