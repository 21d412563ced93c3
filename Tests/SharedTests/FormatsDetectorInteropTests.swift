import Foundation
import XCTest

@testable import Shared

/// Gatan 4D DM4 and Merlin `.mib` files written by Slipline's writers, read through
/// ``STEM4DSource`` and compared with what rosettasciio (an independent reader) makes of the
/// same files. rosettasciio does not read Merlin RAW: RAW frames are compared with the
/// counting-mode file of the same counts, which rosettasciio reads.
final class FormatsDetectorInteropTests: XCTestCase {
    /// Random cube shape, type and layout per trial; rosettasciio's array (DM axes reversed,
    /// C order) transposed to (scan_y, scan_x, det_y, det_x) must equal our frames.
    func testGatan4DDM4ReadsLikeRosettasciio() throws {
        let dir = try FormatsTempDirectory()
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<4 {
            let (sy, sx) = (Int.random(in: 1...5, using: &rng), Int.random(in: 2...6, using: &rng))
            let (dy, dx) = (Int.random(in: 3...9, using: &rng), Int.random(in: 2...8, using: &rng))
            let type: SampleType = [.uint16, .float32, .uint8, .uint32][trial]
            let scanFastest = trial != 3
            let values = (0..<(sy * sx * dy * dx)).map { _ in Double(Int.random(in: 0...250, using: &rng)) }
            let path = dir.file("cube\(trial).dm4"), expected = dir.file("cube\(trial).npy")
            var writer = DMWriter(version: 4)
            writer.sampleType = type
            try writer.write4D(path: path, scanRows: sy, scanCols: sx, detRows: dy, detCols: dx, values: values, scanFastest: scanFastest,
                               scanStepNm: 2.5, detectorScale: 0.25, detectorUnit: scanFastest ? "1/nm" : "mrad")
            try FormatsPython.run("""
                import numpy as np
                from rsciio.digitalmicrograph import file_reader
                images = file_reader('\(path)')            # the thumbnail, then the cube
                d = [i['data'] for i in images if i['data'].ndim == 4][0]
                if \(scanFastest ? "True" : "False"):
                    d = np.transpose(d, (2, 3, 0, 1))   # stored (det_y, det_x, scan_y, scan_x)
                np.save('\(expected)', np.ascontiguousarray(d).astype('<f8'))
                """, requiring: ["numpy", "rsciio"])
            let reference = try NPYFile.open(path: expected)
            XCTAssertEqual(reference.shape, [sy, sx, dy, dx], "trial \(trial)")
            let want = withExtendedLifetime(reference) { Array(reference.dataBytes.bindMemory(to: Double.self)) }
            let source = try STEM4DSource.open(path: path)
            XCTAssertEqual(source.format, "dm")
            XCTAssertEqual(source.shape, [sy, sx, dy, dx], "trial \(trial)")
            let n = dy * dx
            for frames in [0..<(sy * sx), (sy * sx - 1)..<(sy * sx), 1..<min(sy * sx, 3)] where !frames.isEmpty {
                let got: [Double] = try source.withFrames(frames) { raw in
                    switch source.element {
                    case .uint8: raw.bindMemory(to: UInt8.self).map(Double.init)
                    case .uint16: raw.bindMemory(to: UInt16.self).map(Double.init)
                    case .uint32: raw.bindMemory(to: UInt32.self).map(Double.init)
                    case .float32: raw.bindMemory(to: Float.self).map(Double.init)
                    }
                }
                XCTAssertEqual(got, Array(want[(frames.lowerBound * n)..<(frames.upperBound * n)]), "trial \(trial) frames \(frames)")
            }
            XCTAssertTrue(source.summary.contains(scanFastest ? "Gatan 4D-STEM layout" : "detector axes fastest"), source.summary)
            XCTAssertTrue(source.summary.contains("scan step 2.5 nm"), source.summary)
        }
    }

    /// Single-chip U08 and quad U16 counting-mode files as rosettasciio reads them (it flips
    /// the detector rows; Slipline keeps the stored order), and the same counts as RAW.
    func testMerlinReadsLikeRosettasciioAndRawEqualsCountingMode() throws {
        let dir = try FormatsTempDirectory()
        var rng = SystemRandomNumberGenerator()
        for (quad, depth, type) in [(false, 6, MIBPixelType.u8), (true, 12, .u16), (true, 1, .u8), (false, 24, .u32)] {
            let side = depth == 1 ? 64 : 8 * Int.random(in: 1...3, using: &rng)
            let (w, h) = (quad ? 2 * side : side, quad ? 2 * side : side)
            let scan = MIBScanShape(width: Int.random(in: 2...4, using: &rng), height: Int.random(in: 2...3, using: &rng))
            let maxCount = UInt32((1 << depth) - 1)
            let counts = (0..<(w * h * scan.frameCount)).map { _ in UInt32.random(in: 0...maxCount, using: &rng) }
            let name = "\(quad ? "quad" : "single")\(depth)"
            let counting = dir.file("\(name).mib"), raw = dir.file("\(name)RAW.mib"), expected = dir.file("\(name).npy")
            try MIBWriter.write(path: counting, width: w, height: h, pixelType: type, pixels: counts, scan: scan, quad: quad)
            try MIBWriter.writeRAW(path: raw, side: side, counterDepth: depth, quad: quad, pixels: counts, scan: scan)
            try FormatsPython.run("""
                import numpy as np
                from rsciio.quantumdetector import file_reader
                d = file_reader('\(counting)')[0]['data']
                assert d.shape == (\(scan.height), \(scan.width), \(h), \(w)), d.shape
                np.save('\(expected)', np.ascontiguousarray(d[..., ::-1, :]).astype('<u4'))
                """, requiring: ["numpy", "rsciio"])
            let reference = try NPYFile.open(path: expected)
            let want = withExtendedLifetime(reference) { Array(reference.dataBytes.bindMemory(to: UInt32.self)) }
            for path in [counting, raw] {
                let source = try STEM4DSource.open(path: path)
                XCTAssertEqual(source.shape, [scan.height, scan.width, h, w], path)
                let got = try source.withFrames(0..<source.frameCount) { Array($0.bindMemory(to: UInt32.self)) }
                XCTAssertEqual(got, want, "\(name): \((path as NSString).lastPathComponent)")
            }
        }
    }
}
