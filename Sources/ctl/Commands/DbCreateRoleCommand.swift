import ArgumentParser
import Foundation
import Kinds
import Shared

extension DbCommand {
    /// `ctl db create-role worker|reader NAME`: a LOGIN role for another host, a member of
    /// `slipline_worker` (queue operations and results rows only) or `slipline_reader`.
    struct CreateRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-role",
            abstract: "Create (or re-password) a login role for a worker host or a reader.",
            discussion: """
                The password is read from --password-file (its first line) or else from stdin, never \
                from the command line; only its SCRAM-SHA-256 verifier is sent to the server. Run as \
                the database owner after `ctl db migrate`. A worker role may claim, complete, fail, \
                release and heartbeat through the queue's functions and insert/delete results rows; \
                it cannot change the schema or update jobs/tasks directly. A reader role is read-only.
                """)

        enum Kind: String, ExpressibleByArgument, CaseIterable {
            case worker, reader
            var group: String { "slipline_\(rawValue)" }
        }

        @Argument(help: "worker or reader.")
        var kind: Kind

        @Argument(help: "The login role to create, e.g. worker_node17 (lower case, digits, _).")
        var name: String

        @Option(name: .long, help: "Read the password from this file (first line) instead of stdin.")
        var passwordFile: String?

        @OptionGroup var db: DatabaseOptions

        func validate() throws {
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
            guard (1...63).contains(name.count), name.allSatisfy(allowed.contains), !name.first!.isNumber,
                  !name.hasPrefix("pg_"), !name.hasPrefix("slipline_")
            else {
                throw ValidationError("role name '\(name)': use 1–63 lower-case letters, digits and _, not starting with a digit, pg_ or slipline_")
            }
        }

        func run() throws {
            let password = try readPassword()
            let conn = try db.connect()
            let groupExists = try conn.exec("SELECT 1 FROM pg_roles WHERE rolname = $1", [kind.group]).rowCount > 0
            guard groupExists else {
                throw UserError("role \(kind.group) does not exist: run `ctl db migrate` as a user allowed to create roles (CREATEROLE) first")
            }
            let verifier = try conn.scramVerifier(user: name, password: password)
            guard !verifier.contains("'") else { throw UserError("unexpected password verifier from libpq") }
            let existing = try conn.exec(
                "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolname = current_user FROM pg_roles WHERE rolname = $1",
                [name])
            let exists = existing.rowCount > 0
            if existing.bool(0, 0) == true {
                throw UserError("role \(name) exists and is privileged (superuser, CREATEROLE/CREATEDB, BYPASSRLS or you): refusing to turn it into a \(kind.rawValue) role; pick another name")
            }
            // DDL takes no parameters; the name is validated above and the verifier is base64.
            try conn.transaction {
                try conn.exec("\(exists ? "ALTER" : "CREATE") ROLE \(name) LOGIN PASSWORD '\(verifier)'")
                try conn.exec("GRANT \(kind.group) TO \(name)")
                if kind == .reader {
                    try conn.exec("ALTER ROLE \(name) SET default_transaction_read_only = on")
                    // Long read transactions hold back vacuum on the queue's tables.
                    try conn.exec("ALTER ROLE \(name) SET idle_in_transaction_session_timeout = '60s'")
                    try conn.exec("ALTER ROLE \(name) SET statement_timeout = '300s'")
                }
            }
            print("role \(name) \(exists ? "updated" : "created"), member of \(kind.group)")
        }

        private func readPassword() throws -> String {
            let text: String
            if let passwordFile {
                guard let data = FileManager.default.contents(atPath: passwordFile) else {
                    throw UserError("cannot read the password file \(passwordFile)")
                }
                text = String(decoding: data, as: UTF8.self)
            } else {
                text = readLine(strippingNewline: true) ?? ""
            }
            let password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            guard password.count >= 8 else {
                throw UserError("the password must have at least 8 characters (give it on stdin or with --password-file)")
            }
            return password
        }
    }
}
