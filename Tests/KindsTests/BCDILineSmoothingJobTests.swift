import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `line_smoothing` through the real job path (a CXI file written with the draw's stored
/// support, planned, every slab shard run, merged): the position-precision map travels from
/// the slab computation through the slab files to the merge, the same sharded or not, and a
/// line the noise put beside the truth comes back onto it.
final class BCDILineSmoothingJobTests: XCTestCase {
    /// `noise` seed 12 draw 0 (61×61×68, noise 0.30, a loop and a screw line, exact stored
    /// support; bench `off` 0.943 / 0.930): the loop's traced path runs 1.5–2 voxels beside the
    /// truth where its core dip leaves the field's gradient small; smoothed by its cells'
    /// measured position noise it lies on the truth (bench `residue_noise` 1.000 / 1.000).
    func testLineBesideTheTruthComesBack() throws {
        let dir = try BCDIFixtures.temporaryDirectory("line-smoothing")
        let (v, draw, _) = try BCDIFixtures.writeAccuracyDraw(preset: "noise", seed: 12, index: 0, in: dir)
        let params = ["line_smoothing": "residue_noise"]
        func slabs(planes: Int) throws -> [BCDISlabResult] {
            let harness = try KindHarness(BCDIKind(), input: "\(dir)/v.cxi", params: params.merging(["slab_planes": "\(planes)"]) { $1 })
            return try harness.plan().shards.enumerated().map { index, payload in
                try BCDISlabComputation.read(try harness.runShard(payload, index: index).output.slabFile)
            }
        }
        let whole = try BCDIMerge.assemble(try slabs(planes: 0), file: "v.cxi")
        let cut = try slabs(planes: 16)
        XCTAssertGreaterThan(cut.count, 1)
        let sharded = try BCDIMerge.assemble(cut, file: "v.cxi")
        XCTAssertNotNil(whole.precision, "the slabs carry the precision map")
        XCTAssertEqual(whole.precision, sharded.precision, "the same map sharded or not")
        let on = try BCDIJobOptions(JobParams(params)), off = try BCDIJobOptions(JobParams(["line_smoothing": "off"]))
        XCTAssertEqual(BCDIMerge.lines(of: whole, options: on), BCDIMerge.lines(of: sharded, options: on), "the same lines sharded or not")
        let before = BCDIEvaluation.score(truth: v.truth, detected: BCDIMerge.lines(of: whole, options: off))
        let after = BCDIEvaluation.score(truth: v.truth, detected: BCDIMerge.lines(of: whole, options: on))
        print("line_smoothing off \(before.recall) / \(before.precision), residue_noise \(after.recall) / \(after.precision)")
        XCTAssertGreaterThan(after.recall, before.recall + 0.03, "the case this test pins: \(draw.summary)")
        XCTAssertGreaterThan(after.precision, before.precision + 0.03, draw.summary)
        XCTAssertGreaterThanOrEqual(after.recall, 0.98, draw.summary)
    }

    /// A bad value is refused with the parameter's name; the default is `residue_noise_blur_loop`.
    func testBadValueIsRefused() throws {
        XCTAssertThrowsError(try BCDIJobOptions(JobParams(["line_smoothing": "kalman"]))) { error in
            XCTAssertTrue("\(error)".contains("line_smoothing"), "\(error)")
        }
        XCTAssertEqual(try BCDIJobOptions(JobParams(["line_smoothing": "residue_noise"])).lineSmoothing, .residueNoise)
        XCTAssertEqual(try BCDIJobOptions(JobParams(["line_smoothing": "residue_noise_blur"])).lineSmoothing, .residueNoiseBlur)
        XCTAssertEqual(try BCDIJobOptions(JobParams([:])).lineSmoothing, .residueNoiseBlurLoop, "the job's default")
    }

    /// The blurred elliptical loop (semi-axes 4.5 and 3.4, tilted) in a 40³ sphere, written as CXI
    /// to a new directory, under `ramp` (rad/voxel): the two loop tests' shared volume.
    private func blurredLoop(_ name: String, ramp: SIMD3<Double> = .zero) throws -> (volume: BCDISyntheticVolume, file: String) {
        let dir = try BCDIFixtures.temporaryDirectory(name)
        let centre = SIMD3<Double>(19.6, 20.3, 19.8)
        let a = SIMD3<Double>(1, 0, 0), c = SIMD3<Double>(0, 0.96, 0.28)
        let loop = (0..<32).map { k -> SIMD3<Double> in
            let phi = 2 * Double.pi * Double(k) / 32
            return centre + a * (4.5 * cos(phi)) + c * (3.4 * sin(phi))
        }
        let spec = BCDISyntheticSpec(shape: BCDIShape(nz: 40, ny: 40, nx: 40), crystal: .sphere(radius: 15),
                                     dislocations: [BCDIDislocation(.polyline(loop, closed: true), burgers: SIMD3(0, 0, 2 * Double.pi / 40))],
                                     blurSigma: 2, noise: 0.02, ramp: ramp, coreDip: 0.8, coreWidth: 1, seed: 7)
        let v = BCDISynthetic.make(spec)
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        return (v, "\(dir)/v.cxi")
    }

    /// `file` through plan / shard / merge with `params`, as one slab and as 16-plane slabs.
    private func assembled(_ file: String, params: [String: String]) throws -> (whole: BCDIMerge.Volume, sharded: BCDIMerge.Volume) {
        func slabs(planes: Int) throws -> [BCDISlabResult] {
            let harness = try KindHarness(BCDIKind(), input: file, params: params.merging(["slab_planes": "\(planes)"]) { $1 })
            return try harness.plan().shards.enumerated().map { index, payload in
                try BCDISlabComputation.read(try harness.runShard(payload, index: index).output.slabFile)
            }
        }
        return (try BCDIMerge.assemble(try slabs(planes: 0), file: "v.cxi"), try BCDIMerge.assemble(try slabs(planes: 16), file: "v.cxi"))
    }

    /// The loop's traced radius from the merge's lines with `params` (`after`) and with
    /// `line_smoothing=against` (`before`), and its true radius; asserts the lines with `params`
    /// are the same sharded or not and that each setting traces the one loop.
    private func loopRadius(_ v: BCDISyntheticVolume, whole: BCDIMerge.Volume, sharded: BCDIMerge.Volume, params: [String: String],
                            against: String) throws -> (truth: Double, before: Double, after: Double) {
        let on = try BCDIJobOptions(JobParams(params)), base = try BCDIJobOptions(JobParams(["line_smoothing": against]))
        XCTAssertEqual(BCDIMerge.lines(of: whole, options: on), BCDIMerge.lines(of: sharded, options: on), "the same lines sharded or not")
        let before = BCDIAccuracy.loopRadii(truth: v.truth, detected: BCDIMerge.lines(of: whole, options: base))
        let after = BCDIAccuracy.loopRadii(truth: v.truth, detected: BCDIMerge.lines(of: whole, options: on))
        XCTAssertEqual(before.count, 1)
        XCTAssertEqual(after.count, 1)
        return (before.first?.truth ?? 0, before.first?.traced ?? 0, after.first?.traced ?? 0)
    }

    /// The job's default (`residue_noise_blur_loop`, no parameter given) on the blurred loop
    /// through plan / shard / merge: the loop the plain smoother leaves pulled in is moved back
    /// out as a whole, the same sharded or not.
    func testDefaultMovesTheBlurredLoopBackOut() throws {
        let (v, file) = try blurredLoop("line-smoothing-default")
        let (whole, sharded) = try assembled(file, params: [:])
        let (truth, pulled, back) = try loopRadius(v, whole: whole, sharded: sharded, params: [:], against: "residue_noise")
        print("blurred loop, the default: radius true \(truth), residue_noise \(pulled), default \(back)")
        XCTAssertLessThan(pulled, truth - 0.15, "the blur left pulls the plain smoother's loop in")
        XCTAssertLessThan(abs(back - truth), truth - pulled - 0.1, "moved back towards the truth")
    }

    /// A lone elliptical loop (semi-axes 4.5 and 3.4 voxels) in a sphere blurred by σ = 2 with
    /// little noise, CXI written by the code with its support, through plan/shard/merge: the
    /// finder leaves σ ≈ 1 of the blur in the field (the deconvolution's residual), which pulls
    /// the loop's vortex towards its centre; `residue_noise` follows it, `residue_noise_blur`
    /// moves the smoothed loop back out by the blur left (the slab files carry that width, the
    /// same with one slab or 16-plane slabs).
    func testBlurredLoopIsNotPulledIn() throws {
        let (v, file) = try blurredLoop("line-smoothing-blur")
        let params = ["line_smoothing": "residue_noise_blur"]
        let (whole, sharded) = try assembled(file, params: params)
        XCTAssertGreaterThan(whole.fieldBlur, 0.9, "the blur left in the field travels with the slabs")
        XCTAssertEqual(whole.fieldBlur, sharded.fieldBlur)
        let (truth, pulled, back) = try loopRadius(v, whole: whole, sharded: sharded, params: params, against: "residue_noise")
        print("blurred loop: radius true \(truth), residue_noise \(pulled), residue_noise_blur \(back), field blur \(whole.fieldBlur)")
        XCTAssertLessThan(pulled, truth - 0.15, "the blur left pulls the plain smoother's loop in")
        XCTAssertLessThan(abs(back - truth), truth - pulled - 0.1, "moved back towards the truth")
    }

    /// The same loop under a phase ramp of ±0.3 rad/voxel along its normal, through
    /// plan/shard/merge: the blur that acted while the ramp was in the field (σ ≈ 1, what the
    /// deconvolution left) grows the loop under one sign and shrinks it under the other, and
    /// `residue_noise_blur` keeps that difference; `residue_noise_blur_ramp` undoes it from the
    /// ramp the finder measured and the width the slab files carry (the same with one slab or
    /// 16-plane slabs).
    func testLoopUnderARampIsNotPushedOut() throws {
        XCTAssertEqual(try BCDIJobOptions(JobParams(["line_smoothing": "residue_noise_blur_ramp"])).lineSmoothing, .residueNoiseBlurRamp)
        let normal = SIMD3<Double>(0, -0.28, 0.96)
        func radii(_ sign: Double) throws -> (blur: Double, ramp: Double) {
            let (v, file) = try blurredLoop("line-smoothing-ramp", ramp: normal * (0.3 * sign))
            let params = ["line_smoothing": "residue_noise_blur_ramp"]
            let (whole, sharded) = try assembled(file, params: params)
            XCTAssertGreaterThan(whole.rampBlur, 0.9, "the blur the ramp saw travels with the slabs")
            XCTAssertEqual(whole.rampBlur, sharded.rampBlur)
            let r = try loopRadius(v, whole: whole, sharded: sharded, params: params, against: "residue_noise_blur")
            return (r.before, r.after)
        }
        let up = try radii(1), down = try radii(-1)
        print("loop under a ramp ±0.3 along its normal: residue_noise_blur \(up.blur) / \(down.blur), residue_noise_blur_ramp \(up.ramp) / \(down.ramp)")
        XCTAssertGreaterThan(abs(up.blur - down.blur), 0.3, "the ramp moved the two loops apart")
        // Through the job the correction undoes less than on the kernel's own test (radii 3.04 /
        // 4.22 → 3.27 / 3.95 at the merge: 42 % of the gap, where σ_r²·g predicts ≈ 0.6 of the
        // 1.18 measured; the blur σ_r the slabs carry looks short): asked is a clear part of it.
        XCTAssertLessThan(abs(up.ramp - down.ramp), 0.75 * abs(up.blur - down.blur), "the ramp's move undone")
    }
}
