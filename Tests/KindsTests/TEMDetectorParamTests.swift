import Foundation
import Kernels
@testable import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `--param detector=` chooses the shard's per-frame detector.
final class TEMDetectorParamTests: XCTestCase {
    func testDetectorParamChoosesTheShardsDetector() throws {
        let dir = try TestFiles.temporaryDirectory("temdetector")
        let frames = 4
        let params = TEMSynthParams.preset(.easy, seed: 2, frames: frames)
        let synth = TEMSynthesizer(params: params)
        for f in 0..<frames {
            try PNGWriter.writeGray8(path: String(format: "%@/f%d.png", dir, f), width: params.width, height: params.height,
                                     pixels: synth.frame8(f))
        }
        func responses(_ detector: String) throws -> [Double] {
            let run = try KindHarness(TEMKind(), input: dir, params: ["detector": detector, "overlay_frames": "0"]).run()
            XCTAssertTrue(run.errors.isEmpty, "\(run.errors)")
            let frameRows = run.shardRows.flatMap { $0 }.rows(of: "tem_frame_results")
            XCTAssertEqual(frameRows.count, frames)
            XCTAssertTrue(frameRows.allSatisfy { ($0["n_dislocations"] as? Int ?? 0) >= 1 }, "\(detector): a line in every frame")
            return run.shardRows.flatMap { $0 }.rows(of: "tem_dislocation_results").compactMap { $0["mean_response"] as? Double }
        }
        // `video` reports contrast × width (scale-normalised, well below 1 here); `null` the
        // response in units of the frame's noise, above its 4σ seeds.
        let video = try responses("video"), null = try responses("null")
        XCTAssertFalse(video.isEmpty)
        XCTAssertFalse(null.isEmpty)
        XCTAssertLessThan(video.max() ?? 0, 2, "\(video)")
        XCTAssertGreaterThan(null.min() ?? 0, 2, "\(null)")
        // `video5` weighs its scales by the frame's noise too: responses in noise units.
        let video5 = try responses("video5")
        XCTAssertGreaterThan(video5.min() ?? 0, 2, "\(video5)")
    }
}

/// `--param corner_pieces=` switches the tracker's corner-piece join (`TEMCornerPieces`).
final class TEMCornerPiecesParamTests: XCTestCase {
    func testCornerPiecesParamReachesTheTracker() throws {
        let off = try TEMJobOptions(JobParams([:]))
        XCTAssertEqual(TEMMerge.trackerConfig(off).joinCornerPieces, TEMTrackerConfig().joinCornerPieces)
        let on = try TEMJobOptions(JobParams(["corner_pieces": "true"]))
        XCTAssertTrue(TEMMerge.trackerConfig(on).joinCornerPieces)
        XCTAssertFalse(TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["corner_pieces": "false"]))).joinCornerPieces)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_pieces": "maybe"])))
    }
}

/// `--param gap_likelihood=` switches gap closing on one cost scale (`TEMGapLikelihood`).
final class TEMGapLikelihoodParamTests: XCTestCase {
    func testGapLikelihoodParamReachesTheTracker() throws {
        XCTAssertEqual(TEMMerge.trackerConfig(try TEMJobOptions(JobParams([:]))).gapLikelihood, TEMTrackerConfig().gapLikelihood)
        XCTAssertTrue(TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["gap_likelihood": "true"]))).gapLikelihood)
        XCTAssertFalse(TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["gap_likelihood": "false"]))).gapLikelihood)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["gap_likelihood": "maybe"])))
    }
}

/// `--param absorb_pieces=` and `absorbed_ends=` switch one track per line (`TEMPieceAbsorption`).
final class TEMPieceAbsorptionParamTests: XCTestCase {
    func testAbsorptionParamsReachTheTracker() throws {
        let defaults = TEMMerge.trackerConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(defaults.absorbPieces, TEMTrackerConfig().absorbPieces)
        XCTAssertEqual(defaults.absorbedEndsStayEnds, TEMTrackerConfig().absorbedEndsStayEnds)
        let on = TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["absorb_pieces": "true", "absorbed_ends": "true"])))
        XCTAssertTrue(on.absorbPieces && on.absorbedEndsStayEnds)
        let off = TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["absorb_pieces": "false", "absorbed_ends": "false"])))
        XCTAssertFalse(off.absorbPieces || off.absorbedEndsStayEnds)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["absorb_pieces": "maybe"])))
    }
}

/// `--param join_turns=` switches the join of tracks that take turns on one line
/// (`TEMAlternatingTracks.joinTurns`).
final class TEMJoinTurnsParamTests: XCTestCase {
    func testJoinTurnsParamReachesTheTracker() throws {
        XCTAssertEqual(TEMMerge.trackerConfig(try TEMJobOptions(JobParams([:]))).joinTurns, TEMTrackerConfig().joinTurns)
        XCTAssertTrue(TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["join_turns": "true"]))).joinTurns)
        XCTAssertFalse(TEMMerge.trackerConfig(try TEMJobOptions(JobParams(["join_turns": "false"]))).joinTurns)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["join_turns": "maybe"])))
    }
}
