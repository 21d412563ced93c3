import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The undecided gate alone (`temporal_long_frames`, `temporal_long_undecided_alpha`,
/// `temporal_long_by_short_mean=false`) and the K₂ mean's null (`temporal_long_null_test`)
/// through the real job: `ctl synth tem --randomize` frames, `ctl run` on the embedded
/// PostgreSQL (plan, shards that hold their window, merges), `ctl eval tem` on the stored rows.
final class TEMTemporalLongJobTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 900) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-temporal-long-home-\(getpid())").path], timeout: timeout)
    }

    /// `ctl synth tem --randomize` medium seed 21's first 16 frames (faint dark lines; the job
    /// test of the K = 3 mean, `TEMTemporalMeanJobTests`), in two shards of 8: the options reach
    /// the shards and change what is stored (76 → 78 curves, IDF1 .618 → .685, precision .992 →
    /// .986 when written); with the K₂ mean's null too, every frame is still stored once (here it
    /// stores what the default does).
    func testTheUndecidedGateAloneReachesTheShardAndFindsTheFaintLines() throws {
        let url = try TestCluster.freshDatabase("temtemporallong")
        let data = try TestFiles.temporaryDirectory("temporallongvideo")
        let synth = try ctl(["synth", "tem", data, "--randomize", "--difficulty", "medium", "--seed", "21", "--frames", "16"])
        XCTAssertEqual(synth.status, 0, synth.output)
        func run(_ params: [String]) throws -> TEMJobEvaluation {
            try runAndEvaluateTEMJob(data, database: url, framesPerTask: 8, params: params, results: "temporallongresults", ctl: { try ctl($0) })
        }
        let gate = ["temporal_long_frames=7", "temporal_long_undecided_alpha=0.01", "temporal_long_by_short_mean=false"]
        let plain = try run([])
        let alone = try run(gate)
        let nulled = try run(gate + ["temporal_long_null_test=true"])
        print("synth seed 21, 16 frames: default \(plain), undecided gate alone \(alone), with the K₂ null \(nulled)")
        XCTAssertEqual(plain.frames, 16, "every frame of both shards stored once")
        XCTAssertEqual(alone.frames, 16, "every frame of both shards stored once")
        XCTAssertGreaterThan(alone.curves, plain.curves, "the K₂ mean's parts stored")
        XCTAssertGreaterThan(alone.figures["IDF1"] ?? 0, plain.figures["IDF1"] ?? 1, "\(alone.figures) against \(plain.figures)")
        XCTAssertGreaterThan(alone.figures["recall"] ?? 0, plain.figures["recall"] ?? 1)
        XCTAssertGreaterThanOrEqual(alone.figures["precision"] ?? 0, 0.9, "\(alone.figures)")
        XCTAssertEqual(nulled.frames, 16)
        XCTAssertGreaterThanOrEqual(nulled.figures["recall"] ?? 0, plain.figures["recall"] ?? 1, "\(nulled.figures)")
    }
}
