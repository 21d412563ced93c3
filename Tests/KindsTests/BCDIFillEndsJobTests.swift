import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `fill_ends` through the real job path (a CXI file written with the draw's stored support,
/// planned, every slab shard run, merged): the voxels the notch fill added travel from the
/// volume context through the slab files to the merge, where the lines' ends in them are put
/// on the lines' own course.
final class BCDIFillEndsJobTests: XCTestCase {
    /// The draw `index` of `preset` seed `seed` written as CXI with its stored support (if any).
    func write(preset: String, seed: UInt64, index: Int) throws -> (String, BCDISyntheticVolume, String) {
        let dir = try BCDIFixtures.temporaryDirectory("fill-ends")
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(seed, index), ranges: BCDIRandomRanges.preset(preset)!)
        var v = BCDISynthetic.make(draw.spec)
        let stored = draw.supportError.apply(to: v.support, shape: v.shape)
        if let stored { v.support = stored }
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi", mask: stored != nil)
        return (dir, v, draw.summary)
    }

    /// The slabs of `path` under `params`, `planes` z-planes per slab (0: one slab).
    func slabs(_ path: String, params: [String: String], planes: Int) throws -> [BCDISlabResult] {
        let harness = try KindHarness(BCDIKind(), input: path, params: params.merging(["slab_planes": "\(planes)"]) { $1 })
        return try harness.plan().shards.enumerated().map { index, payload in
            try BCDISlabComputation.read(try harness.runShard(payload, index: index).output.slabFile)
        }
    }

    /// `random` seed 301 draw 46 (no stored support; bench `off` 0.966 / 0.975, `ray` 0.969 /
    /// 0.979): the fill's voxels reach the merge, the same sharded or not, and with `ray` the
    /// ends in them are nearer the truth.
    func testRayPutsTheEndsInTheFillOnTheLine() throws {
        let (dir, v, summary) = try write(preset: "random", seed: 301, index: 46)
        let whole = try slabs("\(dir)/v.cxi", params: [:], planes: 0)
        let cut = try slabs("\(dir)/v.cxi", params: [:], planes: 16)
        XCTAssertGreaterThan(cut.count, 1)
        let a = try BCDIMerge.assemble(whole, file: "v.cxi"), b = try BCDIMerge.assemble(cut, file: "v.cxi")
        XCTAssertEqual(a.filled, b.filled, "the fill's voxels are the same sharded or not")
        XCTAssertGreaterThan(a.filled?.reduce(0) { $0 + Int($1) } ?? 0, 0, "the notch fill added voxels: \(summary)")
        let off = try BCDIJobOptions(JobParams([:])), ray = try BCDIJobOptions(JobParams(["fill_ends": "ray"]))
        XCTAssertEqual(BCDIMerge.lines(of: a, options: ray), BCDIMerge.lines(of: b, options: ray), "the same lines sharded or not")
        let before = BCDIEvaluation.score(truth: v.truth, detected: BCDIMerge.lines(of: a, options: off))
        let after = BCDIEvaluation.score(truth: v.truth, detected: BCDIMerge.lines(of: a, options: ray))
        print("fill_ends off \(before.recall) / \(before.precision), ray \(after.recall) / \(after.precision)")
        XCTAssertGreaterThan(after.precision, before.precision + 0.002, "the case this test pins: \(summary)")
        XCTAssertGreaterThanOrEqual(after.recall, before.recall, summary)
    }

    /// `random` seed 301 draw 27 (dilated stored support, σ 0.8, noise 0.03; bench precision 0.987
    /// with `off`, 0.997 with `tips`): the ends bend beyond the chains' last residues, not in the
    /// fill; `tips` puts those tips on the ends' own tangents. Pinned to the old finder
    /// (`line_smoothing=off`): the default loop smoothing already scores this draw 1.0 / 1.0,
    /// with `tips` or without.
    func testTipsPutTheTracedTipsOnTheTangent() throws {
        let (dir, v, summary) = try write(preset: "random", seed: 301, index: 27)
        let off = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["line_smoothing": "off"]))
        let tips = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["fill_ends": "tips", "line_smoothing": "off"]))
        print("fill_ends off \(off.recall) / \(off.precision), tips \(tips.recall) / \(tips.precision)")
        XCTAssertGreaterThan(tips.precision, off.precision + 0.005, "the case this test pins: \(summary)")
        XCTAssertGreaterThanOrEqual(tips.recall, off.recall - 0.002, summary)
    }

    /// A bad value is refused with the parameter's name; the default is `off`.
    func testBadValueIsRefused() throws {
        XCTAssertThrowsError(try BCDIJobOptions(JobParams(["fill_ends": "bend"]))) { error in
            XCTAssertTrue("\(error)".contains("fill_ends"), "\(error)")
        }
        XCTAssertEqual(try BCDIJobOptions(JobParams(["fill_ends": "ray"])).fillEnds, .ray)
        XCTAssertEqual(try BCDIJobOptions(JobParams([:])).fillEnds, .off, "the job's default")
    }
}
