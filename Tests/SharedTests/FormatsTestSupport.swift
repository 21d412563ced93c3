import Foundation
import XCTest

@testable import Shared

/// A fresh temporary directory, removed when the value goes away.
final class FormatsTempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/slipline-formats-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw XCTSkip("cannot create a temporary directory")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

enum FormatsPython {
    /// Runs `script` with python3; skips the test when python3 or a required module is absent.
    @discardableResult
    static func run(_ script: String, requiring modules: [String] = ["numpy", "h5py"]) throws -> String {
        let check = try? execute(["-c", "import " + modules.joined(separator: ", ")])
        guard let check, check.status == 0 else {
            throw XCTSkip("python3 with \(modules.joined(separator: ", ")) is not available")
        }
        let result = try execute(["-c", script])
        guard result.status == 0 else {
            XCTFail("python failed (\(result.status)):\n\(result.output)")
            throw FormatsPythonFailure()
        }
        return result.output
    }

    struct FormatsPythonFailure: Error {}

    private static func execute(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Asserts that `body` throws a ``FormatError`` of `kind` whose message contains every
/// fragment; returns the error for further checks.
@discardableResult
func assertFormatError<T>(
    _ kind: FormatError.Kind, containing fragments: [String] = [], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> T
) -> FormatError? {
    do {
        _ = try body()
        XCTFail("expected FormatError.\(kind), got success", file: file, line: line)
        return nil
    } catch let error as FormatError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "'\(error)' does not contain '\(fragment)'", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected FormatError, got \(error)", file: file, line: line)
        return nil
    }
}

extension Data {
    /// Writes the bytes to `path`, failing the test on error.
    func writeFixture(toPath path: String) throws {
        try write(to: URL(fileURLWithPath: path))
    }
}
