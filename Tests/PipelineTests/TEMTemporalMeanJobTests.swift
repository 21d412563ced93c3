import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// `temporal_mean_frames` through the real job: `ctl synth tem --randomize` frames, `ctl run`
/// on the embedded PostgreSQL (plan, shards that register and hold their window, partial and
/// final merge), `ctl eval tem` on the stored rows.
final class TEMTemporalMeanJobTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 600) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-temporal-home-\(getpid())").path], timeout: timeout)
    }

    /// Medium draw 21's first 12 frames (nine faint dark lines, visibility 1.0, gliding; four
    /// static slip traces; docs/tem.md, "The video's other frames"), in two shards of 6 frames:
    /// the plain job (`temporal_mean_frames=0`) finds few of its lines; with the mean of 3
    /// registered frames and the straight parts dropped it finds far more at the same precision,
    /// and the default detector (`video22`: the same with the probe interval 8) keeps reading the
    /// mean (it keeps adding).
    func testTheMeanFindsFaintLinesThePlainJobMisses() throws {
        let url = try TestCluster.freshDatabase("temtemporal")
        let data = try TestFiles.temporaryDirectory("temporalvideo")
        let synth = try ctl(["synth", "tem", data, "--randomize", "--difficulty", "medium", "--seed", "21", "--frames", "12"])
        XCTAssertEqual(synth.status, 0, synth.output)
        func run(_ params: [String]) throws -> TEMJobEvaluation {
            try runAndEvaluateTEMJob(data, database: url, framesPerTask: 6, params: params, results: "temporalresults", ctl: { try ctl($0) })
        }
        let plain = try run(["temporal_mean_frames=0"])
        let mean = try run(["temporal_mean_frames=3", "temporal_drop_straight=true", "temporal_probe_interval=0"])
        let probed = try run([])
        print("draw 21, 12 frames: plain \(plain), mean of 3 \(mean), with probes \(probed)")
        XCTAssertEqual(plain.frames, 12)
        XCTAssertEqual(mean.frames, 12, "every frame of both shards stored once, the shards' last frames too")
        XCTAssertGreaterThan(mean.curves, plain.curves)
        let recall = (plain: plain.figures["recall"] ?? -1, mean: mean.figures["recall"] ?? -1, probed: probed.figures["recall"] ?? -1)
        XCTAssertLessThan(recall.plain, 0.35, "the plain job must miss most of the lines (else this test shows nothing)")
        XCTAssertGreaterThan(recall.mean, recall.plain + 0.1, "the mean finds the faint lines: \(mean.figures) against \(plain.figures)")
        XCTAssertGreaterThanOrEqual(mean.figures["precision"] ?? 0, 0.95, "\(mean.figures)")
        XCTAssertGreaterThan(mean.figures["IDF1"] ?? 0, plain.figures["IDF1"] ?? 1)
        XCTAssertEqual(recall.probed, recall.mean, accuracy: 0.02, "a faint video keeps its mean with probes: \(probed.figures)")
    }
}
