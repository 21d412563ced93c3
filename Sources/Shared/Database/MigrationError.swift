/// A schema problem that migrating cannot fix by itself, or that needs a migration.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case changedAfterApply(version: Int, name: String)
    /// The database's copy of a repeatable section (the SQL functions) is not this binary's.
    case repeatableOutdated(name: String)

    public var description: String {
        switch self {
        case let .changedAfterApply(version, name):
            return "schema migration \(version) (\(name)) differs from the one applied to this database: "
                + "applied migrations must never be edited (add a new section to schema.sql); "
                + "for a throw-away embedded database, `ctl db stop` and delete $SLIPLINE_HOME/pg"
        case let .repeatableOutdated(name):
            return "the database's schema section '\(name)' (SQL functions) is not the one this ctl was built with: "
                + "run `ctl db migrate` with this ctl"
        }
    }
}
