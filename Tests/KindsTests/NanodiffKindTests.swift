import Coordinator
import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// The nanodiff kind without a database: plan, shards and merge over real HDF5 files.
final class NanodiffKindTests: XCTestCase {
    /// Renders `params` and writes it as `ctl synth nanodiff` does: one 5D file, or one 4D file per angle.
    static func write(_ p: NanodiffSynthParams, to dir: String, perAngle: Bool = false, geometry: Bool = true) throws -> String {
        let (data, _) = NanodiffSynthesizer.render(p)
        let g = p.geometry
        func instrument(_ f: HDF5File) throws {
            guard geometry else { return }
            for (k, v) in [("energy_kev", g.energyKeV), ("distance_m", g.distanceM), ("pixel_um", g.pixelUm), ("two_theta_deg", g.twoThetaDeg),
                           ("center_x", g.centerX), ("center_y", g.centerY)] { try f.write([v], shape: [1], to: "/entry/instrument/" + k) }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if !perAngle {
            let path = dir + "/scan.h5"
            let f = try HDF5File.create(path: path)
            try f.write(data, shape: [p.angles, p.scanRows, p.scanCols, p.detRows, p.detCols], to: "/entry/data/data")
            try f.write(p.anglesDeg, shape: [p.angles], to: "/entry/data/angles")
            try instrument(f)
            try f.close()
            return path
        }
        let per = p.scanRows * p.scanCols * p.detRows * p.detCols
        for (a, angle) in p.anglesDeg.enumerated() {
            let f = try HDF5File.create(path: dir + "/angle-\(a).h5")
            try f.write(Array(data[(a * per)..<((a + 1) * per)]), shape: [p.scanRows, p.scanCols, p.detRows, p.detCols], to: "/entry/data/data")
            try f.write([angle], shape: [1], to: "/entry/data/angle")
            try instrument(f)
            try f.close()
        }
        return dir
    }

    func testShardedRunFindsTheDislocationsAndPerAngleFilesGiveTheSameMaps() throws {
        var p = NanodiffSynthParams.demo(rows: 12, cols: 12, seed: 4)
        p.detRows = 24; p.detCols = 24; p.centerX = 11.3; p.centerY = 12.2
        let file = try Self.write(p, to: try KindHarness<NanodiffKind>.temporaryDirectory("nd5"))
        let harness = try KindHarness(NanodiffKind(), input: file, params: ["rows_per_shard": "5", "chunk_mb": "1"])
        let plan = try harness.plan()
        XCTAssertEqual(plan.shards.map { $0.row0 }, [0, 5, 10])
        XCTAssertEqual(plan.shards[0].shape, [p.angles, 12, 12, 24, 24])
        XCTAssertEqual(plan.shards[0].geometry.twoThetaDeg, p.geometry.twoThetaDeg, accuracy: 1e-12)
        let run = try harness.run()
        XCTAssertTrue(run.errors.isEmpty, "\(run.errors)")
        let points = run.mergeRows.rows(of: "nanodiff_point_results")
        XCTAssertEqual(points.count, 144)
        let defects = run.mergeRows.rows(of: "nanodiff_defect_results").filter { ($0["kind"] as? String) == "dislocation" }
        for d in p.dislocations {
            XCTAssertTrue(defects.contains { abs(($0["x"] as! Double) - d.x) <= 1 && abs(($0["y"] as! Double) - d.y) <= 1 },
                          "dislocation at (\(d.x), \(d.y)) not found in \(defects)")
        }
        // Tilt boundaries: no line that is not the true one (the 12×12 demo's boundary, crossed by
        // three masked cores, is below the detection tests' power: docs/nanodiff.md, Measured).
        let lines = run.mergeRows.rows(of: "nanodiff_defect_results").filter { ($0["kind"] as? String) == "tilt_boundary" }.map {
            NanodiffDefect(kind: .tiltBoundary, x: $0["x"] as! Double, y: $0["y"] as! Double, strength: 0,
                           points: ((try? JSONSerialization.jsonObject(with: Data(($0["points"] as! PGJSON).pgText.utf8))) as? [[Double]]) ?? [])
        }
        let b = p.boundary!
        let boundaryScore = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(b.x, b.y, b.angleDeg)], detected: lines)
        XCTAssertEqual(boundaryScore.detectedCount, boundaryScore.truePositives, "\(lines)")
        // Every diffracting position outside speckle belongs to a tracked region.
        let tracked = points.filter { $0["region_track"] is Int64 }.count
        XCTAssertGreaterThan(tracked, points.count / 2)
        let maps = run.mergeRows.rows(of: "nanodiff_map_results")
        for name in ["strain", "tilt_x", "tilt_y", "intensity", "cluster"] {
            let row = maps.first { ($0["name"] as? String) == name }
            XCTAssertNotNil(row, name)
            let png = row?["png_file"] as? String
            XCTAssertTrue(png.map { FileManager.default.fileExists(atPath: $0) } ?? false, "\(name): \(String(describing: png))")
        }
        let mapsFile = maps[0]["file"] as! String
        let strain = try HDF5File.open(path: mapsFile).dataset("/strain").read(Double.self)
        XCTAssertEqual(strain.count, 144)

        // The same scan as one file per angle, one shard.
        let dir = try Self.write(p, to: try KindHarness<NanodiffKind>.temporaryDirectory("nd4"), perAngle: true)
        let perAngle = try KindHarness(NanodiffKind(), input: dir).run()
        XCTAssertTrue(perAngle.errors.isEmpty, "\(perAngle.errors)")
        let other = perAngle.mergeRows.rows(of: "nanodiff_point_results")
        for (a, b) in zip(points, other) {
            XCTAssertEqual(a["strain"] as? Double, b["strain"] as? Double)
            XCTAssertEqual(a["tilt_y"] as? Double, b["tilt_y"] as? Double)
        }
    }

    func testMissingGeometryAndAnglesFailAtPlanningNamingTheParameter() throws {
        var p = NanodiffSynthParams.demo(rows: 6, cols: 6)
        p.detRows = 16; p.detCols = 16; p.centerX = 7.5; p.centerY = 7.5; p.angles = 5
        let file = try Self.write(p, to: try KindHarness<NanodiffKind>.temporaryDirectory("ndgeo"), geometry: false)
        XCTAssertThrowsError(try KindHarness(NanodiffKind(), input: file).plan()) { error in
            XCTAssertTrue("\(error)".contains("--param energy_kev="), "\(error)")
        }
        XCTAssertThrowsError(try KindHarness(NanodiffKind(), input: file, params: ["angles": "-1:1:7"]).plan()) { error in
            XCTAssertTrue("\(error)".contains("gives 7 angles") && "\(error)".contains("holds 5"), "\(error)")
        }
        XCTAssertThrowsError(try KindHarness(NanodiffKind(), input: file, params: ["angles": "a,b"]).plan()) { error in
            XCTAssertTrue("\(error)".contains("--param angles=a,b"), "\(error)")
        }
        XCTAssertThrowsError(try KindHarness(NanodiffKind(), input: file, params: ["boundary_null": "permutation"]).plan()) { error in
            XCTAssertTrue("\(error)".contains("--param boundary_null=permutation") && "\(error)".contains("bootstrap"), "\(error)")
        }
        let g = p.geometry
        let ok = try KindHarness(NanodiffKind(), input: file, params: [
            "energy_kev": "\(g.energyKeV)", "distance_m": "\(g.distanceM)", "pixel_um": "\(g.pixelUm)", "two_theta_deg": "\(g.twoThetaDeg)",
            "center_x": "7.5", "center_y": "7.5"]).plan()
        XCTAssertEqual(ok.shards.count, 1)
    }

    func testCorruptAndNaNInputGiveClearErrors() throws {
        let dir = try KindHarness<NanodiffKind>.temporaryDirectory("ndbad")
        let junk = dir + "/scan.h5"
        try Data("not an hdf5 file".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try KindHarness(NanodiffKind(), input: junk).plan()) { error in
            XCTAssertTrue("\(error)".contains("scan.h5"), "\(error)")
        }
        // Float data with a NaN: the shard fails naming the file and the position.
        var p = NanodiffSynthParams.demo(rows: 6, cols: 6)
        p.detRows = 16; p.detCols = 16; p.centerX = 7.5; p.centerY = 7.5; p.angles = 5
        let (data, _) = NanodiffSynthesizer.render(p)
        var values = data.map { Float($0) }
        values[3 * 16 * 16 + 5] = .nan  // angle 0, position 3
        let path = dir + "/nan.h5"
        let f = try HDF5File.create(path: path)
        try f.write(values, shape: [p.angles, 6, 6, 16, 16], to: "/entry/data/data")
        try f.close()
        let g = p.geometry
        let harness = try KindHarness(NanodiffKind(), input: path, params: [
            "angles": "-0.3:0.3:5", "energy_kev": "\(g.energyKeV)", "distance_m": "\(g.distanceM)", "pixel_um": "\(g.pixelUm)",
            "two_theta_deg": "\(g.twoThetaDeg)"])
        let plan = try harness.plan()
        XCTAssertThrowsError(try harness.runShard(plan.shards[0], index: 0)) { error in
            XCTAssertTrue("\(error)".contains("nan.h5") && "\(error)".contains("x 3, y 0") && "\(error)".contains("NaN"), "\(error)")
        }
        // With every scan failed the merge says so instead of writing empty results.
        XCTAssertThrowsError(try harness.run()) { error in
            XCTAssertTrue("\(error)".contains("no scan of the job could be analysed"), "\(error)")
        }
    }

    func testKindDetectionClaimsFiveDimensionalFiles() throws {
        let p = NanodiffSynthParams.demo(rows: 6, cols: 6)
        let file = try Self.write(p, to: try KindHarness<NanodiffKind>.temporaryDirectory("nddetect"))
        XCTAssertEqual(try Kinds.detect(file).name, "nanodiff")
    }
}
