import Coordinator
import Foundation
import Kernels
import Shared
import Kinds
import SliplineTestSupport
import XCTest

/// Sharding must not change results: Ψ (and phase and support) of a volume cut into z-slabs
/// equals the unsharded run bit for bit, through the real runner and slab files.
final class BCDIShardingTests: XCTestCase {
    func run(_ input: String, params: [String: String], outputDirectory: String? = nil) throws -> BCDIMerge.Volume {
        let harness = try KindHarness(BCDIKind(), input: input, params: params, output: outputDirectory)
        let plan = try harness.plan()
        var slabs: [BCDISlabResult] = []
        for (index, payload) in plan.shards.enumerated() {
            let result = try harness.runShard(payload, index: index)
            XCTAssertEqual(result.output.slabFile, payload.slabFile)
            slabs.append(try BCDISlabComputation.read(result.output.slabFile))
        }
        XCTAssertEqual(slabs.count, plan.shards.count)
        return try BCDIMerge.assemble(slabs, file: input)
    }

    func check(mask: Bool, params: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        let v = BCDIFixtures.volume(BCDIShape(nz: 23, ny: 20, nx: 18))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi", mask: mask)
        let whole = try run("\(dir)/v.cxi", params: params.merging(["slab_planes": "0"]) { $1 })
        for planes in ["1", "4", "7"] {
            let sharded = try run("\(dir)/v.cxi", params: params.merging(["slab_planes": planes]) { $1 })
            XCTAssertEqual(sharded.psi.map(\.bitPattern), whole.psi.map(\.bitPattern), "Ψ, slab_planes=\(planes)", file: file, line: line)
            XCTAssertEqual(sharded.phase.map(\.bitPattern), whole.phase.map(\.bitPattern), "phase, slab_planes=\(planes)", file: file, line: line)
            XCTAssertEqual(sharded.support, whole.support, file: file, line: line)
        }
        XCTAssertGreaterThan(whole.psi.max() ?? 0, 4, "the volume has cores", file: file, line: line)
    }

    func testStoredMaskWithRampRemoval() throws {
        try check(mask: true, params: [:])
    }

    func testStoredMaskWithoutRampRemovalReadsOnlyItsPlanes() throws {
        try check(mask: true, params: ["remove_ramp": "false", "alpha": "2"])
    }

    func testAmplitudeThresholdSupport() throws {
        try check(mask: false, params: ["amplitude_threshold": "0.3"])
    }

    /// A noisy volume is denoised before Ψ (smoothing ⌈3s⌉ planes deep): slabs read that much
    /// more halo and still give the whole volume's Ψ and phase bit for bit.
    func testDenoisedNoisyVolume() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        var spec = BCDISynthetic.demoSpec(shape: BCDIShape(nz: 22, ny: 20, nx: 20), radius: 8.4, seed: 3)
        spec.noise = 0.25
        try BCDIFixtures.writeCXI(BCDISynthetic.make(spec), to: "\(dir)/v.cxi", mask: true)
        let whole = try run("\(dir)/v.cxi", params: ["slab_planes": "0"])
        let raw = try run("\(dir)/v.cxi", params: ["slab_planes": "0", "phase_noise": "0"])
        XCTAssertNotEqual(whole.phase, raw.phase, "the noise calls for smoothing")
        for planes in ["3", "7"] {
            let sharded = try run("\(dir)/v.cxi", params: ["slab_planes": planes])
            XCTAssertEqual(sharded.psi.map(\.bitPattern), whole.psi.map(\.bitPattern), "Ψ, slab_planes=\(planes)")
            XCTAssertEqual(sharded.phase.map(\.bitPattern), whole.phase.map(\.bitPattern), "phase, slab_planes=\(planes)")
        }
    }

    /// `deblur=true` on a strongly blurred volume: the deconvolved field is computed once per
    /// volume and cached with the context, and slabs read their planes of it, so sharded runs
    /// equal the unsharded one bit for bit.
    func testDeblurredVolumeShardsBitIdentically() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        var spec = BCDISynthetic.demoSpec(shape: BCDIShape(nz: 34, ny: 38, nx: 38), radius: 11, seed: 5)
        // One line: a blurred vortex's amplitude hole pulls the blur estimate down (docs/bcdi.md).
        spec.dislocations = [spec.dislocations[0]]
        spec.blurSigma = 2.5
        spec.noise = 0.03
        try BCDIFixtures.writeCXI(BCDISynthetic.make(spec), to: "\(dir)/v.cxi", mask: true)
        let whole = try run("\(dir)/v.cxi", params: ["slab_planes": "0", "deblur": "true"])
        let plain = try run("\(dir)/v.cxi", params: ["slab_planes": "0", "deblur": "false"])
        XCTAssertNotEqual(whole.phase, plain.phase, "σ = 2.5 calls for deconvolution")
        for planes in ["4", "9"] {
            let sharded = try run("\(dir)/v.cxi", params: ["slab_planes": planes, "deblur": "true"])
            XCTAssertEqual(sharded.support, whole.support, "support, slab_planes=\(planes)")
            XCTAssertEqual(sharded.psi.map(\.bitPattern), whole.psi.map(\.bitPattern), "Ψ, slab_planes=\(planes)")
            XCTAssertEqual(sharded.phase.map(\.bitPattern), whole.phase.map(\.bitPattern), "phase, slab_planes=\(planes)")
        }
    }

    /// Slabs share a cached volume context; a later job writing to the same output directory
    /// with other options must not reuse it.
    func testSharedOutputDirectoryNeverReusesAStaleContext() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        let out = try BCDIFixtures.temporaryDirectory("out")
        let v = BCDIFixtures.volume(BCDIShape(nz: 18, ny: 16, nx: 16))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi", mask: false)
        _ = try run("\(dir)/v.cxi", params: ["slab_planes": "5", "amplitude_threshold": "0.6"], outputDirectory: out)
        let sharded = try run("\(dir)/v.cxi", params: ["slab_planes": "5", "amplitude_threshold": "0.2"], outputDirectory: out)
        let whole = try run("\(dir)/v.cxi", params: ["slab_planes": "0", "amplitude_threshold": "0.2"])
        XCTAssertEqual(sharded.support, whole.support)
        XCTAssertEqual(sharded.psi.map(\.bitPattern), whole.psi.map(\.bitPattern))
        XCTAssertTrue(FileManager.default.fileExists(atPath: BCDIPaths.context(out, volume: 0)))
    }

    func testUnshardedEqualsKernelOnTheSameInputs() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        let v = BCDIFixtures.volume(BCDIShape(nz: 16, ny: 16, nx: 16))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        let whole = try run("\(dir)/v.cxi", params: ["slab_planes": "0"])
        let (support, ramp, _, _) = BCDIVolumeAnalysis.prepare(re: v.re, im: v.im, storedSupport: v.support, shape: v.shape, settings: BCDIAnalysisSettings())
        let phase = BCDIPhaseRamp.phase(re: v.re, im: v.im, shape: v.shape, removing: ramp, support: support)
        let psi = BCDIPsiReference.compute(phase: phase, support: support, shape: v.shape)
        XCTAssertEqual(whole.support, support)
        XCTAssertEqual(whole.psi.map(\.bitPattern), psi.map(\.bitPattern))
    }

    /// `method=derivative` runs the reference method on the whole volume (never slabbed) and
    /// stores its core voxels as Ψ = 2π; they overlap the min-max cores.
    func testDerivativeMethodMarksTheCores() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        let v = BCDIFixtures.volume(BCDIShape(nz: 20, ny: 20, nx: 20))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        let derivative = try run("\(dir)/v.cxi", params: ["method": "derivative", "slab_planes": "4"])
        let minmax = try run("\(dir)/v.cxi", params: [:])
        XCTAssertTrue(derivative.psi.allSatisfy { $0 == 0 || $0 == 2 * Float.pi })
        let cores = derivative.psi.indices.filter { derivative.psi[$0] > 4 }
        let both = cores.filter { minmax.psi[$0] > 4 }.count
        XCTAssertGreaterThan(cores.count, 10)
        XCTAssertGreaterThan(Double(both) / Double(cores.count), 0.3, "derivative cores overlap Ψ > 4")
    }

    func testCorruptDataFailsTheTaskNamingFileAndVoxel() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        var v = BCDIFixtures.volume(BCDIShape(nz: 8, ny: 8, nx: 8))
        v.re[v.shape.index(x: 3, y: 2, z: 5)] = .nan
        try BCDIFixtures.writeCXI(v, to: "\(dir)/bad.cxi")
        XCTAssertThrowsError(try run("\(dir)/bad.cxi", params: [:])) { error in
            XCTAssertTrue("\(error)".contains("bad.cxi dataset /entry_1/image_1/data: holds NaN at voxel [x, y, z] = [3, 2, 5]"), "\(error)")
        }
    }

    func testModesStackUsesTheFirstMode() throws {
        let dir = try BCDIFixtures.temporaryDirectory("shard")
        let v = BCDIFixtures.volume(BCDIShape(nz: 10, ny: 12, nx: 14))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/one.cxi")
        try BCDIFixtures.writeCXI(v, to: "\(dir)/modes.cxi", modes: 3)
        try NPYWriter.writeComplex64(interleaved: BCDIFixtures.interleaved(v), shape: [10, 12, 14], to: "\(dir)/v.npy")
        let one = try run("\(dir)/one.cxi", params: [:])
        let modes = try run("\(dir)/modes.cxi", params: [:])
        XCTAssertEqual(one.psi.map(\.bitPattern), modes.psi.map(\.bitPattern))
        // The .npy has no stored mask: same data, amplitude-threshold support.
        let npy = try run("\(dir)/v.npy", params: [:])
        XCTAssertEqual(npy.support.count, v.shape.count)
        XCTAssertEqual(npy.psi.count, v.shape.count)
    }
}
