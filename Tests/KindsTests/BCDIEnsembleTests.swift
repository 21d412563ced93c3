import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// Ensembles: a directory per time step holding several reconstructions of that step, planned
/// as one member each and combined by the merge into lines with a confidence.
final class BCDIEnsembleTests: XCTestCase {
    /// The demo crystal of side 32 with fresh noise per `seed`, optionally with an extra
    /// straight line only this reconstruction shows, shifted by `shift` voxels along x.
    func member(seed: UInt64, extraLine: Bool = false, shift: Double = 0) -> BCDISyntheticVolume {
        let shape = BCDIShape(nz: 32, ny: 32, nx: 32)
        var spec = BCDISynthetic.demoSpec(shape: shape, radius: 13, seed: seed)
        spec.noise = 0.03
        spec.center = SIMD3(15.5 + shift, 15.5, 15.5)
        spec.dislocations = spec.dislocations.map { $0.translated(by: SIMD3(shift, 0, 0)) }
        if extraLine {
            let t = SIMD3<Double>(0.2, 1, 0.1)
            let b = t * (2 * Double.pi / (spec.bragg * t).sum())
            spec.dislocations.append(BCDIDislocation(.straight(point: SIMD3(15.5 + shift, 15.5, 22), direction: t), burgers: b))
        }
        return BCDISynthetic.make(spec)
    }

    func testMembersOfAStepAreCombinedWithAConfidence() throws {
        let dir = try BCDIFixtures.temporaryDirectory("ensemble")
        for step in ["t2", "t10"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(step)", withIntermediateDirectories: true)
            try BCDIFixtures.writeCXI(member(seed: 1), to: "\(dir)/\(step)/run1.cxi")
            try BCDIFixtures.writeCXI(member(seed: 2, shift: 1), to: "\(dir)/\(step)/run2.cxi")
            try BCDIFixtures.writeCXI(member(seed: 3, extraLine: step == "t10"), to: "\(dir)/\(step)/run3.cxi")
        }
        let harness = try KindHarness(BCDIKind(), input: dir, params: [:])
        let plan = try harness.plan()
        XCTAssertEqual(plan.shards.map(\.volumeIndex), [0, 0, 0, 1, 1, 1], "steps in natural order, t2 before t10")
        XCTAssertEqual(plan.shards.map(\.member), [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(Set(plan.shards.map(\.slabFile)).count, 6, "each member its own slab file")
        let result = try harness.run()
        XCTAssertTrue(result.errors.isEmpty, "\(result.errors)")
        let volumes = result.mergeRows.rows(of: "bcdi_volume_results")
        XCTAssertEqual(volumes.count, 2)
        for v in volumes {
            XCTAssertEqual(v["n_members"] as? Int, 3)
            XCTAssertTrue((v["volume_file"] as? String ?? "").hasSuffix("/t2") || (v["volume_file"] as? String ?? "").hasSuffix("/t10"))
        }
        let lines = result.mergeRows.rows(of: "bcdi_line_results")
        for step in [0, 1] {
            let confidences = lines.filter { $0["volume_index"] as? Int == step }.compactMap { $0["confidence"] as? Double }
            // The three demo lines are in every member (one member shifted by a voxel).
            XCTAssertGreaterThanOrEqual(confidences.filter { $0 > 0.9 }.count, 3, "step \(step): \(confidences)")
            if step == 1 {
                // The extra line of one member of three: about a third.
                XCTAssertEqual(confidences.filter { $0 < 0.5 }.count, 1, "step 1: \(confidences)")
            } else {
                XCTAssertTrue(confidences.allSatisfy { $0 > 0.5 }, "step 0: \(confidences)")
            }
        }
    }

    /// A plain series keeps null confidences and one member per volume.
    func testAPlainSeriesHasNoConfidence() throws {
        let dir = try BCDIFixtures.temporaryDirectory("series")
        try BCDIFixtures.writeCXI(member(seed: 1), to: "\(dir)/a.cxi")
        let result = try KindHarness(BCDIKind(), input: dir, params: [:]).run()
        XCTAssertEqual(result.mergeRows.rows(of: "bcdi_volume_results").first?["n_members"] as? Int, 1)
        let lines = result.mergeRows.rows(of: "bcdi_line_results")
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0["confidence"]! == nil })
    }

    func testADirectoryWithoutVolumesSaysWhereItLooked() throws {
        let dir = try BCDIFixtures.temporaryDirectory("empty")
        try FileManager.default.createDirectory(atPath: "\(dir)/t0", withIntermediateDirectories: true)
        XCTAssertThrowsError(try KindHarness(BCDIKind(), input: dir, params: [:]).plan()) { error in
            XCTAssertTrue("\(error)".contains("neither directly nor in subdirectories"), "\(error)")
        }
    }
}
