import Foundation
import Shared

/// How payloads and shard outputs are stored: JSON with sorted keys (stable text, so a plan
/// is reproducible and diffable) and unescaped slashes (paths stay readable in `tasks`).
public enum PayloadJSON {
    /// One encoder and decoder for all threads (both are Sendable; creating one per call cost
    /// more than a no-op task in `ctl bench queue`).
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let decoder = JSONDecoder()

    public static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes `text`; the error names `what` was unreadable.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw TaskError("\(what) is unreadable (\(error)); the job was planned by another version of Slipline? resubmit it")
        }
    }
}

extension JobParams {
    /// The job's parameters as stored in `jobs.params` (a JSON object of strings).
    public init(json: String) throws {
        self.init(try PayloadJSON.decode([String: String].self, from: json, what: "the job's parameters"))
    }
}
