/// Typed access to a job's `--param KEY=VALUE` pairs, with errors that name the key.
public struct JobParams: Sendable, Equatable {
    public let values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// Parses `KEY=VALUE` strings as given on the command line.
    public init(parsing pairs: [String]) throws {
        var values: [String: String] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ParamError(message: "--param '\(pair)' is not KEY=VALUE (e.g. --param psi_cutoff=4.0)")
            }
            values[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        self.values = values
    }

    public func string(_ key: String, default value: String) -> String {
        values[key] ?? value
    }

    public func int(_ key: String, default value: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let text = values[key] else { return value }
        guard let parsed = Int(text) else {
            throw ParamError(message: "--param \(key)=\(text): expected a whole number")
        }
        if let range, !range.contains(parsed) {
            throw ParamError(message: "--param \(key)=\(text): must be in \(range.lowerBound)…\(range.upperBound)")
        }
        return parsed
    }

    public func double(_ key: String, default value: Double, range: ClosedRange<Double>? = nil) throws -> Double {
        guard let text = values[key] else { return value }
        guard let parsed = Double(text), parsed.isFinite else {
            throw ParamError(message: "--param \(key)=\(text): expected a finite number")
        }
        if let range, !range.contains(parsed) {
            throw ParamError(message: "--param \(key)=\(text): must be in \(range.lowerBound)…\(range.upperBound)")
        }
        return parsed
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let text = values[key] else { return value }
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw ParamError(message: "--param \(key)=\(text): expected true or false")
        }
    }
}

/// A bad `--param`.
public struct ParamError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
