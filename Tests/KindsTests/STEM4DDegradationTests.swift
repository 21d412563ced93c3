import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// Defaults that do not fit a cube (a 2×3 scan of 4×5 patterns, a 3×3 scan whose disk is
/// smaller than the stereo detectors, a scan too small for a 3D mode) are skipped with a note
/// on the job; BF, ADF, the mean and the maximum patterns still come. Explicitly requested
/// geometry that does not fit still fails at submission.
final class STEM4DDegradationTests: XCTestCase {
    /// `scanRows` × `scanCols` frames of `detRows` × `detCols`: a disk of `radius` at the
    /// centre (level 200 + position-dependent ripple) on a background of 1–3 counts.
    func cube(scanRows: Int, scanCols: Int, detRows: Int, detCols: Int, radius: Double) -> [UInt16] {
        let cx = Double(detCols - 1) / 2, cy = Double(detRows - 1) / 2
        var out: [UInt16] = []
        out.reserveCapacity(scanRows * scanCols * detRows * detCols)
        for f in 0..<(scanRows * scanCols) {
            for y in 0..<detRows {
                for x in 0..<detCols {
                    let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                    out.append(d <= radius ? UInt16(200 + (f * 5 + x + y) % 11) : UInt16(1 + (f + x) % 3))
                }
            }
        }
        return out
    }

    /// Runs the whole job in-process; returns its notes, merge rows and output directory.
    func run(_ file: String, _ params: [String: String]) throws -> (notes: String, rows: [ResultRows], output: String) {
        let harness = try KindHarness(STEM4DKind(), input: file, params: params)
        let notes = try harness.jobPlan().notes.joined(separator: "\n")
        let result = try harness.run()
        XCTAssertTrue(result.errors.isEmpty, "\(result.errors)")
        return (notes, result.mergeRows, harness.output.path)
    }

    func imageNames(_ rows: [ResultRows]) -> [String] {
        rows.rows(of: "stem4d_image_results").compactMap { $0["name"] as? String }
    }

    func assertPatternsWritten(_ output: String, file: StaticString = #filePath, line: UInt = #line) {
        for name in ["mean_pattern", "max_pattern", "report"] {
            let path = name == "report" ? STEM4DPaths.report(output) : STEM4DPaths.image(output, name: name)
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), "\(path) missing", file: file, line: line)
        }
    }

    /// py4DSTEM's `size2x3x4x5` shape: a 2×3 scan of 4×5 patterns (a ramp, then a flat cube
    /// whose mean pattern has no disk at all), in every mode.
    func testTinyDetectorKeepsBrightFieldAndPatterns() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("tiny")
        try NPYWriter.write((0..<120).map { UInt16($0) }, shape: [2, 3, 4, 5], to: "\(dir)/ramp.npy")
        try NPYWriter.write([UInt16](repeating: 7, count: 120), shape: [2, 3, 4, 5], to: "\(dir)/flat.npy")
        for name in ["ramp.npy", "flat.npy"] {
            for mode in ["images", "particles", "dislocations"] {
                let job = try run("\(dir)/\(name)", ["mode": mode])
                let names = imageNames(job.rows)
                XCTAssertTrue(names.contains("bf") && names.contains("adf"), "\(name) \(mode): \(names)")
                XCTAssertFalse(names.contains { $0.hasPrefix("stereo") }, "\(name) \(mode): \(names)")
                XCTAssertTrue(job.notes.contains("stereo pairs skipped"), "\(name) \(mode): \(job.notes)")
                if mode != "images" { XCTAssertTrue(job.notes.contains("mode=\(mode) skipped"), job.notes) }
                XCTAssertTrue(job.rows.rows(of: "stem4d_particle_results").isEmpty)
                XCTAssertTrue(job.rows.rows(of: "stem4d_line_results").isEmpty)
                assertPatternsWritten(job.output)
                // The images are the sums under the masks: the flat cube's BF is 7 × its pixel count.
                let dataset = try HDF5File.open(path: STEM4DPaths.image(job.output, name: "bf")).dataset("/image")
                XCTAssertEqual(dataset.shape, [2, 3])
                let bf = try dataset.read(Float.self)
                if name == "flat.npy" {
                    XCTAssertTrue(job.notes.contains("stand-in disk"), job.notes)
                    XCTAssertTrue(bf.allSatisfy { $0 > 0 && $0.truncatingRemainder(dividingBy: 7) == 0 }, "\(bf)")
                }
            }
        }
    }

    /// A 3×3 scan whose disk (radius ≈ 1.9 px) is smaller than the radius-2 stereo detectors,
    /// as in Merlin's `Quad_9_Frame` test file: the stereo pairs and the 3D mode are skipped.
    func testDiskSmallerThanStereoDetectorsIsNotedNotFatal() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("small-disk")
        try NPYWriter.write(cube(scanRows: 3, scanCols: 3, detRows: 16, detCols: 16, radius: 1.9),
                            shape: [3, 3, 16, 16], to: "\(dir)/c.npy")
        for mode in ["images", "particles", "dislocations"] {
            let job = try run("\(dir)/c.npy", ["mode": mode])
            let names = imageNames(job.rows)
            XCTAssertEqual(names.filter { !$0.hasPrefix("quadrant") }, ["bf", "adf"], "\(mode): \(names)")
            XCTAssertTrue(job.notes.contains("stereo pairs skipped") && job.notes.contains("fit"), job.notes)
            if mode != "images" { XCTAssertTrue(job.notes.contains("mode=\(mode) skipped"), job.notes) }
            assertPatternsWritten(job.output)
        }
        // Asked for explicitly, the same geometry still fails the job at submission, naming the file.
        let harness = try KindHarness(STEM4DKind(), input: "\(dir)/c.npy", params: ["detectors": "bf,stereo"])
        XCTAssertThrowsError(try harness.jobPlan()) { error in
            XCTAssertTrue("\(error)".contains("c.npy") && "\(error)".contains("does not fit"), "\(error)")
        }
    }

    /// The stereo pair fits a large disk but a 3×3 (or 5×40) scan cannot hold a particle or a
    /// line: the pair's images come, the mode is skipped with a note.
    func testScanTooSmallForTheModeIsNoted() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("small-scan")
        try NPYWriter.write(cube(scanRows: 3, scanCols: 3, detRows: 32, detCols: 32, radius: 10),
                            shape: [3, 3, 32, 32], to: "\(dir)/c.npy")
        try NPYWriter.write(cube(scanRows: 5, scanCols: 40, detRows: 16, detCols: 16, radius: 6),
                            shape: [5, 40, 16, 16], to: "\(dir)/wide.npy")
        for (file, mode) in [("c.npy", "particles"), ("c.npy", "dislocations"), ("wide.npy", "particles"), ("wide.npy", "dislocations")] {
            let job = try run("\(dir)/\(file)", ["mode": mode])
            let names = imageNames(job.rows)
            XCTAssertTrue(names.contains("stereo0_minus") && names.contains("stereo0_plus") && names.contains("bf"), "\(file) \(mode): \(names)")
            XCTAssertTrue(job.notes.contains("mode=\(mode) skipped") && job.notes.contains("scan"), "\(file) \(mode): \(job.notes)")
            XCTAssertFalse(job.notes.contains("stereo pairs skipped"), job.notes)
            assertPatternsWritten(job.output)
        }
    }
}
