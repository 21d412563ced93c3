import Foundation
import XCTest

@testable import Shared

/// TEM files from independent writers (tifffile, mrcfile; `ops/interop/tem_formats.py`) read as
/// their writers meant, and DM3/DM4 files written here read by an independent reader (ncempy)
/// as Slipline reads them. Skipped, saying why, when python3 lacks those packages
/// (`SLIPLINE_PYTHON` names another interpreter, e.g. a venv's).
final class FormatsTEMInteropTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ops/interop/tem_formats.py").path

    func python(_ arguments: [String], requiring modules: [String]) throws -> String {
        let interpreter = ProcessInfo.processInfo.environment["SLIPLINE_PYTHON"] ?? "python3"
        let check = try? run(interpreter, ["-c", "import " + modules.joined(separator: ", ")])
        guard let check, check.status == 0 else {
            throw XCTSkip("\(interpreter) with \(modules.joined(separator: ", ")) is not available (pip install \(modules.joined(separator: " ")), or set SLIPLINE_PYTHON)")
        }
        let result = try run(interpreter, [Self.script] + arguments)
        guard result.status == 0 else {
            XCTFail("tem_formats.py \(arguments) failed (\(result.status)):\n\(result.output)")
            throw FormatsPython.FormatsPythonFailure()
        }
        return result.output
    }

    private func run(_ interpreter: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [interpreter] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct Expected: Decodable {
        var file: String?
        var frames: Int
        var width: Int
        var height: Int
        var sums: [Double]
        var first_row: [Double]
        var pixel_size_nm: Double?
        var frame_interval_s: Double?
    }

    func check(_ stack: any FrameStack, against e: Expected, _ label: String) throws {
        XCTAssertEqual([stack.frameCount, stack.width, stack.height], [e.frames, e.width, e.height], label)
        guard [stack.frameCount, stack.width, stack.height] == [e.frames, e.width, e.height] else { return }
        let frames = try FrameFixtures.readAll(stack)
        for (f, frame) in frames.enumerated() {
            let sum = frame.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, e.sums[f], accuracy: 1e-5 * max(1, frame.reduce(0.0) { $0 + abs(Double($1)) }), "\(label) frame \(f)")
        }
        for (x, v) in e.first_row.enumerated() { XCTAssertEqual(Double(frames[0][x]), v, accuracy: 1e-6 * max(1, abs(v)), "\(label) pixel \(x)") }
        if let p = e.pixel_size_nm { XCTAssertEqual(stack.metadata.pixelSizeNm ?? -1, p, accuracy: 1e-5 * p, "\(label) pixel size") }
        if let t = e.frame_interval_s { XCTAssertEqual(stack.metadata.frameIntervalS ?? -1, t, accuracy: 1e-9, "\(label) frame interval") }
    }

    func testTifffileAndMrcfileStacksReadAsWritten() throws {
        let dir = try FormatsTempDirectory()
        _ = try python(["write", dir.path], requiring: ["numpy", "tifffile", "mrcfile", "imagecodecs", "h5py"])
        struct Manifest: Decodable { var seed: Int; var files: [Expected] }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: dir.file("manifest.json"))))
        XCTAssertGreaterThanOrEqual(manifest.files.count, 12)
        for e in manifest.files {
            try check(try FrameStackFormat.open(path: dir.file(e.file!)), against: e, "\(e.file!) (seed \(manifest.seed))")
        }
    }

    func testNcempyReadsOurDMFilesAsWeDo() throws {
        let dir = try FormatsTempDirectory()
        var g = FrameFixtures.Generator(state: UInt64.random(in: 0...UInt64.max))
        var paths: [String] = []
        for version in [3, 4] {
            for type in [SampleType.uint16, .float32, .int16, .uint8] {
                var writer = DMWriter(version: version)
                writer.sampleType = type
                writer.pixelSizeNm = Double.random(in: 0.01...10, using: &g)
                let (w, h, n) = (Int.random(in: 3...40, using: &g), Int.random(in: 3...40, using: &g), Int.random(in: 1...4, using: &g))
                let path = dir.file("x\(version)\(type).dm\(version)")
                try writer.write(path: path, width: w, height: h, frames: FrameFixtures.frames(n, width: w, height: h, type: type, seed: g.next()))
                paths.append(path)
            }
        }
        let json = try python(["readdm"] + paths, requiring: ["numpy", "ncempy"])
        let read = try JSONDecoder().decode([Expected].self, from: Data(json.utf8))
        XCTAssertEqual(read.count, paths.count)
        for (path, e) in zip(paths, read) { try check(try DMStack(path: path), against: e, (path as NSString).lastPathComponent) }
    }
}
