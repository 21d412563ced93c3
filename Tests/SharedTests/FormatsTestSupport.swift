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

/// The independent writers of the interoperability tests: `$SLIPLINE_TEST_PYTHON` (the venv that
/// ops/test.sh makes from ops/interop/requirements.txt), else `python3` on the PATH.
enum FormatsPython {
    /// Runs `script`; skips the test when the python or a required module is absent, except
    /// under `CI=true`, where that fails the test (a skipped interoperability test must not
    /// pass CI).
    @discardableResult
    static func run(_ script: String, requiring modules: [String] = ["numpy", "h5py"]) throws -> String {
        let check = try? execute(["-c", "import " + modules.joined(separator: ", ")])
        guard let check, check.status == 0 else {
            let message = "\(interpreter.joined(separator: " ")) with \(modules.joined(separator: ", ")) is not available"
                + " (ops/interop/venv.sh makes it; export SLIPLINE_TEST_PYTHON=$PWD/.venv-test/bin/python)"
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail(message + " — under CI=true this is a failure, not a skip")
                throw FormatsPythonFailure()
            }
            throw XCTSkip(message)
        }
        let result = try execute(["-c", script])
        guard result.status == 0 else {
            XCTFail("python failed (\(result.status)):\n\(result.output)")
            throw FormatsPythonFailure()
        }
        return result.output
    }

    struct FormatsPythonFailure: Error {}

    /// The command that runs python: the venv's interpreter when configured.
    static var interpreter: [String] {
        if let path = ProcessInfo.processInfo.environment["SLIPLINE_TEST_PYTHON"], !path.isEmpty { return [path] }
        return ["/usr/bin/env", "python3"]
    }

    private static func execute(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let command = interpreter
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + arguments
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

/// Reads `slabs` of a complex volume and compares every plane with `expected(flat C-order index)`.
func checkPlanes(_ source: BCDIVolumeSource, slabs: [Range<Int>], expected: (Int) -> (Float, Float),
                 file: StaticString = #filePath, line: UInt = #line) throws {
    let plane = source.shape[1] * source.shape[2]
    for z in slabs {
        let (re, im) = try source.readPlanes(z)
        let flat = (z.lowerBound * plane)..<(z.upperBound * plane)
        XCTAssertEqual(re, flat.map { expected($0).0 }, "re planes \(z)", file: file, line: line)
        XCTAssertEqual(im, flat.map { expected($0).1 }, "im planes \(z)", file: file, line: line)
    }
}
