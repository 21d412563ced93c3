import Foundation
import XCTest

@testable import Shared

/// Gatan 4D DM4 (`DMCube` through `STEM4DSource`): the transposed layout, DM3, big-endian
/// values, the layout from calibration units, clear errors, and bounded memory on a large
/// sparse file.
final class FormatsDMCubeTests: XCTestCase {
    private func frames(_ source: STEM4DSource, _ range: Range<Int>) throws -> [UInt16] {
        try source.withFrames(range) { Array($0.bindMemory(to: UInt16.self)) }
    }

    func testScanFastestCubeReadsAsFramesInEveryRange() throws {
        let dir = try FormatsTempDirectory()
        for version in [3, 4] {
            let (sy, sx, dy, dx) = (3, 7, 5, 4)
            // Value = a code of (scan position, detector pixel): any transposition error shows.
            let values = (0..<(sy * sx * dy * dx)).map { Double(($0 / (dy * dx)) * 100 + $0 % (dy * dx)) }
            var writer = DMWriter(version: version)
            writer.sampleType = .uint16
            let path = dir.file("c.dm\(version)")
            try writer.write4D(path: path, scanRows: sy, scanCols: sx, detRows: dy, detCols: dx, values: values)
            let source = try STEM4DSource.open(path: path)
            XCTAssertEqual(source.shape, [sy, sx, dy, dx])
            XCTAssertEqual(source.element, .uint16)
            for range in [0..<21, 0..<1, 20..<21, 6..<13, 7..<14] {
                let want = values[(range.lowerBound * dy * dx)..<(range.upperBound * dy * dx)].map { UInt16($0) }
                XCTAssertEqual(try frames(source, range), Array(want), "DM\(version) frames \(range)")
            }
            XCTAssertTrue(source.summary.hasPrefix("DM\(version) 4D uint16, scan 7x3, detector 4×5, scan axes fastest"), source.summary)
        }
    }

    /// The window of frames read ahead (shrunk to a few frames here): random ranges in random
    /// order — inside it, across its end, before it, larger than half of it — give the frames the
    /// writer stored, for 8-, 16- and 32-bit cubes and both DM versions.
    func testWindowedReadsMatchTheStoredFrames() throws {
        let dir = try FormatsTempDirectory()
        var g = SystemRandomNumberGenerator()
        for (version, type) in [(4, SampleType.uint8), (3, .uint16), (4, .uint32), (4, .uint16)] {
            let (sy, sx, dy, dx) = (Int.random(in: 2...6, using: &g), Int.random(in: 3...11, using: &g), Int.random(in: 1...9, using: &g), Int.random(in: 1...9, using: &g))
            let positions = sy * sx, pixels = dy * dx
            let modulus = type == .uint8 ? 256 : 65536
            let values = (0..<(positions * pixels)).map { Double(($0 / pixels * 37 + $0 % pixels * 11) % modulus) }
            var writer = DMWriter(version: version)
            writer.sampleType = type
            let path = dir.file("w\(version)\(type.rawValue).dm\(version)")
            try writer.write4D(path: path, scanRows: sy, scanCols: sx, detRows: dy, detCols: dx, values: values)
            let cube = try DMCube(path: path)
            cube.windowBytes = Int.random(in: 2...5, using: &g) * pixels * type.byteCount
            for _ in 0..<40 {
                let first = Int.random(in: 0..<positions, using: &g)
                let range = first..<Int.random(in: (first + 1)...min(positions, first + 4), using: &g)
                var out = [UInt8](repeating: 0, count: range.count * pixels * type.byteCount)
                try out.withUnsafeMutableBytes { try cube.readFrames(range, into: $0) }
                let got: [Double] = out.withUnsafeBytes { raw in
                    switch type {
                    case .uint8: raw.bindMemory(to: UInt8.self).map(Double.init)
                    case .uint16: raw.bindMemory(to: UInt16.self).map(Double.init)
                    default: raw.bindMemory(to: UInt32.self).map(Double.init)
                    }
                }
                XCTAssertEqual(got, Array(values[(range.lowerBound * pixels)..<(range.upperBound * pixels)]),
                               "DM\(version) \(type.rawValue) scan \(sx)×\(sy) detector \(dx)×\(dy), window \(cube.windowBytes) B, frames \(range)")
            }
        }
    }

    func testLayoutFollowsTheCalibrationUnits() {
        XCTAssertEqual(DMCube.layout(units: ["nm", "nm", "1/nm", "1/nm"]), .scanFastest)
        XCTAssertEqual(DMCube.layout(units: ["", "", "", ""]), .scanFastest, "Gatan's layout unless the units say otherwise")
        XCTAssertEqual(DMCube.layout(units: ["mrad", "mrad", "nm", "nm"]), .detectorFastest)
        XCTAssertEqual(DMCube.layout(units: ["1/nm", "1/nm", "µm", "µm"]), .detectorFastest)
        XCTAssertEqual(DMCube.layout(units: ["1/nm", "1/nm", "1/nm", "1/nm"]), .scanFastest)
    }

    func testClearErrors() throws {
        let dir = try FormatsTempDirectory()
        // A 3D stack is not a cube; the fix points at tem.
        try DMWriter(version: 4).write(path: dir.file("stack.dm4"), width: 4, height: 4, frames: [[Double]](repeating: [Double](repeating: 1, count: 16), count: 3))
        assertFormatError(.wrongShape, containing: ["stack.dm4", "no 4D image", "--kind tem"]) { try STEM4DSource.open(path: dir.file("stack.dm4")) }
        // Signed 16-bit cubes are refused, naming the type.
        var writer = DMWriter(version: 4)
        writer.sampleType = .int16
        try writer.write4D(path: dir.file("signed.dm4"), scanRows: 2, scanCols: 2, detRows: 2, detCols: 2, values: [Double](repeating: 1, count: 16))
        assertFormatError(.unsupported, containing: ["signed.dm4", "int16", "unsigned 8/16/32-bit or float32"]) { try STEM4DSource.open(path: dir.file("signed.dm4")) }
        // A file cut inside the data names the bytes needed.
        writer.sampleType = .uint16
        try writer.write4D(path: dir.file("cut.dm4"), scanRows: 8, scanCols: 8, detRows: 16, detCols: 16, values: [Double](repeating: 3, count: 16384))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("cut.dm4")))
        try bytes.prefix(bytes.count / 2).writeFixture(toPath: dir.file("cut.dm4"))
        assertFormatError(.truncated, containing: ["cut.dm4"]) { try STEM4DSource.open(path: dir.file("cut.dm4")) }
        // The TEM reader still refuses 4D, pointing at stem4d.
        XCTAssertThrowsError(try DMStack(path: dir.file("signed.dm4"))) { XCTAssertTrue("\($0)".contains("--kind stem4d"), "\($0)") }
    }

    /// A 2 GiB cube (64 × 4096 scan × 64² detector uint16) as a sparse file: reading scan rows in
    /// blocks keeps the anonymous resident memory within a block's buffers (debug-build scatter:
    /// a few rows only, to stay fast).
    func testLargeSparseCubeStreamsInBoundedMemory() throws {
        let dir = try FormatsTempDirectory()
        var writer = DMWriter(version: 4)
        writer.sampleType = .uint16
        let (sy, sx, dy, dx) = (4096, 64, 64, 64)
        let path = dir.file("sparse.dm4")
        let offset = try writer.write4DSparse(path: path, scanRows: sy, scanCols: sx, detRows: dy, detCols: dx)
        // One marker: detector pixel (3, 5) of the last scan position.
        let positions = sy * sx, pixel = 3 * dx + 5
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(offset + (pixel * positions + positions - 1) * 2))
        try handle.write(contentsOf: Data([0x34, 0x12]))
        try handle.close()

        let source = try STEM4DSource.open(path: path)
        XCTAssertEqual(source.shape, [sy, sx, dy, dx])
        let before = Self.anonymousResidentMB()
        var peak = before
        for row in [0, sy - 1] {
            // One scan row per block (512 KiB of frames).
            let range = (row * sx)..<((row + 1) * sx)
            let sum = try source.withFrames(range) { $0.bindMemory(to: UInt16.self).reduce(0) { $0 + Int($1) } }
            XCTAssertEqual(sum, row == sy - 1 ? 0x1234 : 0, "row \(row)")
            peak = max(peak, Self.anonymousResidentMB())
        }
        let last = try frames(source, (positions - 1)..<positions)
        XCTAssertEqual(last[pixel], 0x1234)
        XCTAssertEqual(last.reduce(0) { $0 + Int($1) }, 0x1234)
        XCTAssertLessThan(peak - before, 96, "anonymous RSS grew from \(before) MB to \(peak) MB reading a 2 GiB cube")
    }

    /// RssAnon from /proc/self/status, MB (file-backed pages are the page cache's to drop).
    static func anonymousResidentMB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
