import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `mode=dislocations` through the kind, as the queue runs it (plan, shards, merge; no
/// database), on small cubes with lines chosen to be hard: the depth scale on a 32×32 scan,
/// a line along the first baseline (the second pair poses it), crossing lines, a scan turned
/// against the detector; and the images of the job are the same as without lines.
final class STEM4DLinesTests: XCTestCase {
    func straight(_ a: [Double], _ b: [Double], n: Int = 16) -> [[Double]] {
        (0...n).map { k in let t = Double(k) / Double(n); return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])] }
    }

    /// Writes a cube of `lines` and runs the job; the score and the merge rows.
    func run(_ lines: [[[Double]]], rows: Int, cols: Int, rotation: Double = 0, params: [String: String] = [:],
             label: String) throws -> (STEM4DLineEvaluation.Score, [ResultRows]) {
        var p = STEM4DSynthParams()
        p.content = .lines; p.scanRows = rows; p.scanCols = cols; p.bfCounts = 25; p.lineContrast = 0.35; p.lineSigma = 1.2
        p.scanRotationDeg = rotation; p.seed = 5
        let syn = STEM4DSynthesizer.make(p, lines: lines)
        let dir = try STEM4DFixtures.temporaryDirectory("lines-\(label)")
        try NPYWriter.write(syn.cube, shape: [rows, cols, p.detRows, p.detCols], to: "\(dir)/c.npy")
        let all = params.merging(["mode": "dislocations", "convergence_mrad": "\(p.convergenceMrad)", "scan_rotation_deg": "\(rotation)",
                                  "z_range": "40"]) { given, _ in given }
        let result = try KindHarness(STEM4DKind(), input: "\(dir)/c.npy", params: all, output: "\(dir)/out").run()
        XCTAssertTrue(result.errors.isEmpty, "\(result.errors)")
        let found: [STEM4DLine3D] = result.mergeRows.rows(of: "stem4d_line_results").compactMap { row in
            guard let json = row["points"] as? PGJSON else { return nil }
            return STEM4DLine3D(points: try! JSONDecoder().decode([[Double]].self, from: Data(json.pgText.utf8)))
        }
        return (STEM4DLineEvaluation.score(truth: lines, found: found), result.mergeRows)
    }

    func testDepthScaleIsRightOnA32Scan() throws {
        // Two inclined lines spanning ±18 px of depth: found against true depth must have slope 1.
        let truth = [straight([5, 4, -18], [26, 27, 18]), straight([27, 6, 15], [8, 26, -15])]
        let (s, rows) = try run(truth, rows: 32, cols: 32, label: "scale")
        XCTAssertGreaterThanOrEqual(s.coverage, 0.85, "\(s)")
        XCTAssertEqual(s.depthScale, 1, accuracy: 0.08, "\(s)")
        XCTAssertLessThan(s.medianDepthError, 1, "\(s)")
        XCTAssertEqual(rows.rows(of: "stem4d_job_results").first?["n_lines"] as? Int, rows.rows(of: "stem4d_line_results").count)
    }

    func testLineAlongFirstBaselineNeedsTheSecondPair() throws {
        let truth = [straight([4, 17, 12], [34, 18, -8])]
        let (four, _) = try run(truth, rows: 36, cols: 39, label: "along4")
        XCTAssertGreaterThanOrEqual(four.coverage, 0.9, "\(four)")
        XCTAssertLessThan(four.medianDepthError, 1, "\(four)")
        // One pair along the line: its depth is not posed there, so no points rather than wrong ones.
        let (two, _) = try run(truth, rows: 36, cols: 39, params: ["views": "2"], label: "along2")
        XCTAssertLessThan(two.coverage, 0.3, "\(two)")
    }

    func testCrossingLinesInATurnedScan() throws {
        let truth = [straight([4, 10, -12], [40, 30, 14]), straight([8, 33, 16], [38, 5, -16])]
        let (s, _) = try run(truth, rows: 38, cols: 45, rotation: 117, label: "cross")
        for (k, c) in s.lineCoverage.enumerated() { XCTAssertGreaterThanOrEqual(c, 0.85, "line \(k): \(s)") }
        XCTAssertLessThan(s.medianDepthError, 1, "\(s)")
        XCTAssertEqual(s.depthScale, 1, accuracy: 0.1, "\(s)")
        XCTAssertGreaterThanOrEqual(Double(s.matchedPoints), 0.9 * Double(s.totalPoints), "\(s)")
    }

    func testImagesAreTheSameWithAndWithoutLines() throws {
        let truth = [straight([5, 5, -10], [25, 28, 10])]
        let (_, lines) = try run(truth, rows: 30, cols: 30, label: "same-lines")
        let (_, images) = try run(truth, rows: 30, cols: 30, params: ["mode": "images", "detectors": "bf,adf,stereo,quadrants", "views": "4"],
                                  label: "same-images")
        let names = { (r: [ResultRows]) in r.rows(of: "stem4d_image_results").compactMap { $0["name"] as? String }.sorted() }
        XCTAssertEqual(Set(names(images)).subtracting(names(lines)), [])
        XCTAssertTrue(images.rows(of: "stem4d_line_results").isEmpty)
    }
}
