import Foundation
import Kernels
@testable import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// The tem kind without a database: plan, shards and merge over real PNG frames.
final class TEMKindTests: XCTestCase {
    /// An easy synthetic video of `frames` 512×512 frames.
    func video(frames: Int, seed: UInt64 = 3) throws -> String {
        let dir = try TestFiles.temporaryDirectory("temkind")
        let params = TEMSynthParams.preset(.easy, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        for f in 0..<frames {
            try PNGWriter.writeGray8(path: String(format: "%@/f%d.png", dir, f), width: params.width, height: params.height,
                                     pixels: synth.frame8(f))
        }
        return dir
    }

    func testShardsHandTheirCurvesToTheMergeWhichTracksThem() throws {
        let input = try video(frames: 8)
        let harness = try KindHarness(TEMKind(), input: input, params: ["frames_per_task": "3", "overlay_frames": "2"])
        let run = try harness.run()
        XCTAssertEqual(run.shards.count, 3)
        XCTAssertTrue(run.errors.isEmpty, "\(run.errors)")
        // Natural order: f2 before f10 does not arise here, but every shard's frames are contiguous.
        XCTAssertEqual(run.shards.map(\.payload.firstFrame), [0, 3, 6])
        let frames = run.shardRows.flatMap { $0 }.rows(of: "tem_frame_results")
        XCTAssertEqual(frames.count, 8)
        let dislocations = run.shardRows.flatMap { $0 }.rows(of: "tem_dislocation_results")
        XCTAssertEqual(run.shards.compactMap(\.output).reduce(0) { $0 + $1.dislocations }, dislocations.count)
        XCTAssertGreaterThan(dislocations.count, 8)
        // Every curve the shards found is tracked by the merge.
        let points = run.mergeRows.rows(of: "tem_track_point_results")
        XCTAssertEqual(points.count, dislocations.count)
        let tracks = run.mergeRows.rows(of: "tem_track_results")
        XCTAssertGreaterThan(tracks.count, 0)
        XCTAssertLessThan(tracks.count, dislocations.count / 4, "curves are linked across frames")
        let report = run.mergeRows.rows(of: "tem_report_results")
        XCTAssertEqual(report.count, 1)
        XCTAssertEqual(report[0]["n_frames"] as? Int, 8)
        XCTAssertEqual(report[0]["salvaged_frames"] as? Int, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: harness.output.file("tem-tracks.svg")))
        XCTAssertTrue(run.mergeRows.rows(of: "tem_frame_results").isEmpty, "no shard died: the merge owns no frame rows")
    }

    func testMergeSalvagesTheGoodFramesOfADeadShard() throws {
        let input = try video(frames: 6)
        let bad = input + "/f4.png"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bad))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: bad))
        let run = try KindHarness(TEMKind(), input: input, params: ["frames_per_task": "3"]).run()
        XCTAssertEqual(run.shards.map(\.state), [.done, .dead])
        XCTAssertEqual(run.errors.count, 1)
        XCTAssertTrue("\(run.errors[0])".contains("frame 4: cannot read f4.png"), "\(run.errors[0])")
        // The merge re-analysed frames 3 and 5 and owns their rows; frame 4 is the only one missing.
        let salvaged = run.mergeRows.rows(of: "tem_frame_results").compactMap { $0["frame_index"] as? Int }
        XCTAssertEqual(salvaged.sorted(), [3, 5])
        XCTAssertEqual(run.mergeRows.rows(of: "tem_report_results")[0]["salvaged_frames"] as? Int, 2)
        XCTAssertEqual(run.mergeRows.rows(of: "tem_report_results")[0]["n_frames"] as? Int, 5)
    }

    func testCurvesFileRoundTripsExactlyAndRefusesADamagedFile() throws {
        let dir = try TestFiles.temporaryDirectory("curves")
        let frames = [
            TEMCurvesFile.Frame(index: 7, file: "/data/é f7.png", curves: [[TEMPoint(0.1, -2.5), TEMPoint(1e-9, 511.999)], []]),
            TEMCurvesFile.Frame(index: 8, file: "f8.png", curves: [], drift: TEMPoint(-3.25, 0.5)),
        ]
        try TEMCurvesFile.write(frames, to: dir + "/c.bin")
        XCTAssertEqual(try TEMCurvesFile.read(dir + "/c.bin"), frames)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/c.bin"))
        try data.prefix(data.count - 5).write(to: URL(fileURLWithPath: dir + "/cut.bin"))
        XCTAssertThrowsError(try TEMCurvesFile.read(dir + "/cut.bin")) { XCTAssertTrue("\($0)".contains("cut.bin is damaged (truncated"), "\($0)") }
        XCTAssertThrowsError(try TEMCurvesFile.read(dir + "/none.bin")) { XCTAssertTrue("\($0)".contains("none.bin"), "\($0)") }
    }

    /// Every shard measures drift against the video's frame 0 (not its own first frame), so the
    /// stored drifts of a drifting video follow the stage across shard boundaries.
    func testShardsStoreTheDriftRelativeToFrameZero() throws {
        let dir = try TestFiles.temporaryDirectory("temdrift")
        var params = TEMSynthParams.randomized(.easy, seed: 4, frames: 6)
        params.nuisance!.driftVelocity = TEMPoint(3, -2)
        params.nuisance!.jitter = 0
        params.nuisance!.driftBound = 30
        params.nuisance!.pRepeat = 0
        params.nuisance!.pDrop = 0
        let synth = TEMSynthesizer(params: params)
        for f in 0..<6 {
            try PNGWriter.writeGray8(path: String(format: "%@/f%d.png", dir, f), width: params.width, height: params.height,
                                     pixels: synth.frame8(f))
        }
        let run = try KindHarness(TEMKind(), input: dir, params: ["frames_per_task": "2", "overlay_frames": "0"]).run()
        XCTAssertTrue(run.errors.isEmpty, "\(run.errors)")
        let frames = run.shardRows.flatMap { $0 }.rows(of: "tem_frame_results")
        XCTAssertEqual(frames.count, 6)
        for row in frames {
            let f = try XCTUnwrap(row["frame_index"] as? Int)
            let dx = try XCTUnwrap(row["drift_x"] as? Double), dy = try XCTUnwrap(row["drift_y"] as? Double)
            XCTAssertLessThan(TEMPolyline.norm(TEMPoint(dx, dy) - synth.stage.drift[f]), 3, "frame \(f): \(dx), \(dy) vs \(synth.stage.drift[f])")
        }
    }
}
