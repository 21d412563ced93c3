import Coordinator
import Foundation
import Kernels
import Shared
import Kinds
import SliplineTestSupport
import XCTest

final class STEM4DPlannerTests: XCTestCase {
    func plan(_ input: String, _ params: [String: String] = [:]) throws -> JobPlan {
        var p = params
        p["output_dir"] = p["output_dir"] ?? "/tmp/out"
        return try KindHarness(STEM4DKind(), input: input, params: p).jobPlan()
    }

    func message(_ body: @autoclosure () throws -> JobPlan) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testHDF5ShardsByRowsWithCalibratedDetectors() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("plan")
        let file = try HDF5File.create(path: "\(dir)/cube.h5")
        try file.write(STEM4DFixtures.cube(scan: 12, det: 16), shape: [12, 12, 16, 16], to: "/entry/data",
                       options: .gzip(level: 1, chunkShape: [1, 12, 16, 16]))
        try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/other")
        try file.close()
        let plan = try plan("\(dir)/cube.h5", ["rows_per_task": "5"])
        let shards = try plan.shards.map { try JSONDecoder().decode(STEM4DShard.ShardPayload.self, from: Data($0.payload.utf8)) }
        XCTAssertEqual(shards.map { [$0.y0, $0.y1] }, [[0, 5], [5, 10], [10, 12]])
        XCTAssertEqual(shards[0].dataset, "/entry/data")
        XCTAssertEqual(shards[0].shape, [12, 12, 16, 16])
        XCTAssertEqual(shards[0].element, .uint16)
        XCTAssertEqual(shards[0].detectors.map(\.name),
                       ["bf", "adf", "stereo0_minus", "stereo0_plus", "quadrant0", "quadrant1", "quadrant2", "quadrant3"])
        XCTAssertEqual(plan.merge?.kind, "stem4d")
        let merge = try JSONDecoder().decode(STEM4DMerge.Payload.self, from: Data(plan.merge!.payload.utf8))
        XCTAssertEqual(merge.calibration.cx, 7.5, accuracy: 0.3)
        XCTAssertEqual(merge.calibration.cy, 7.5, accuracy: 0.3)
        XCTAssertEqual(merge.calibration.radius, 4, accuracy: 0.5)
        XCTAssertEqual(merge.pairs.count, 1)
        // A radius-4 disk with radius-2 detectors fits 2 px of offset: 8° does not fit at
        // 100 mrad (needs ≈3.5 px), so the default falls back to the largest, with a note.
        XCTAssertTrue(plan.notes.joined().contains("largest"), plan.notes.joined())

        // Shards write under the output directory, one part file each.
        XCTAssertTrue(shards.allSatisfy { $0.partFile.hasPrefix("/tmp/out/stem4d/parts/") })
        XCTAssertEqual(Set(shards.map(\.partFile)).count, 3)
    }

    func testCirclesAndMaskDetectors() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("custom")
        try NPYWriter.write(STEM4DFixtures.cube(scan: 4, det: 16), shape: [4, 4, 16, 16], to: "\(dir)/c.npy")
        var weights = [Float](repeating: 0, count: 256)
        weights[5 * 16 + 7] = 2
        weights[9 * 16 + 3] = 0.5
        try NPYWriter.write(weights, shape: [16, 16], to: "\(dir)/mask.npy")
        let plan = try plan("\(dir)/c.npy", ["detectors": "none", "circles": "3:4:2;10.5:11:1.5", "mask": "\(dir)/mask.npy"])
        let merge = try JSONDecoder().decode(STEM4DMerge.Payload.self, from: Data(plan.merge!.payload.utf8))
        XCTAssertEqual(merge.detectors.map(\.name), ["circle0", "circle1", "mask"])
        XCTAssertEqual(merge.detectors[0].geometry, .circle(cx: 3, cy: 4, r: 2))
        XCTAssertEqual(merge.detectors[2].geometry.rasterise(STEM4DDetectorShape(rows: 16, cols: 16)), weights)
        let payload = try JSONDecoder().decode(STEM4DShard.ShardPayload.self, from: Data(plan.shards[0].payload.utf8))
        let partial = try STEM4DShard.computeBlock(payload, file: payload.file)
        let cube = STEM4DFixtures.cube(scan: 4, det: 16)
        for f in 0..<16 {
            let expected = 2 * Double(cube[f * 256 + 5 * 16 + 7]) + 0.5 * Double(cube[f * 256 + 9 * 16 + 3])
            XCTAssertEqual(Double(partial.images[2 * partial.frameCount + f]), expected, accuracy: 1e-4)
        }
        try NPYWriter.write([Float](repeating: 1, count: 64), shape: [8, 8], to: "\(dir)/small.npy")
        let wrong = message(try self.plan("\(dir)/c.npy", ["mask": "\(dir)/small.npy"]))
        XCTAssertTrue(wrong.contains("small.npy") && wrong.contains("[16, 16]"), wrong)
        let bad = message(try self.plan("\(dir)/c.npy", ["circles": "1:2"]))
        XCTAssertTrue(bad.contains("cx:cy:r"), bad)
    }

    /// `--param vacuum=PATH` as one 2D pattern in every accepted form (and as a 4D scan):
    /// the disk is found where the vacuum has it, not where the cube has it; bad vacuum files
    /// are refused naming the file, the problem and the fix.
    func testVacuumPatternCalibratesTheDisk() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("vacuum")
        try NPYWriter.write(STEM4DFixtures.cube(scan: 4, det: 16), shape: [4, 4, 16, 16], to: "\(dir)/c.npy")
        // The vacuum disk sits off the cube's centre (7.5, 7.5): at (6, 8.5), radius 4.5.
        let vacuum: [Float] = (0..<256).map { i in
            let dx = Double(i % 16) - 6, dy = Double(i / 16) - 8.5
            return (dx * dx + dy * dy).squareRoot() <= 4.5 ? 1000 : 10
        }
        try NPYWriter.write(vacuum, shape: [16, 16], to: "\(dir)/v.npy")
        let h5 = try HDF5File.create(path: "\(dir)/v.h5")
        try h5.write(vacuum.map { UInt16($0) }, shape: [16, 16], to: "/entry/vacuum")
        try h5.close()
        try PNGWriter.writeGray16(path: "\(dir)/v16.png", width: 16, height: 16, pixels: vacuum.map { UInt16($0) })
        try PNGWriter.writeGray8(path: "\(dir)/v8.png", width: 16, height: 16, pixels: vacuum.map { UInt8($0 / 4) })
        try NPYWriter.write(vacuum.map { UInt16($0) } + vacuum.map { UInt16($0) }, shape: [1, 2, 16, 16], to: "\(dir)/scan.npy")
        for name in ["v.npy", "v.h5", "v16.png", "v8.png", "scan.npy"] {
            let merge = try JSONDecoder().decode(STEM4DMerge.Payload.self, from: Data(plan("\(dir)/c.npy", ["vacuum": "\(dir)/\(name)"]).merge!.payload.utf8))
            XCTAssertEqual(merge.calibration.cx, 6, accuracy: 0.15, name)
            XCTAssertEqual(merge.calibration.cy, 8.5, accuracy: 0.15, name)
            XCTAssertEqual(merge.calibration.radius, 4.5, accuracy: 0.3, name)
            XCTAssertTrue(merge.calibration.source.contains(name == "scan.npy" ? "mean of 2 frames of vacuum" : "vacuum pattern"), merge.calibration.source)
        }
        let missing = message(try plan("\(dir)/c.npy", ["vacuum": "\(dir)/nope.npy"]))
        XCTAssertTrue(missing.contains("nope.npy") && missing.contains("no such file") && missing.contains("2D .npy"), missing)
        try NPYWriter.write([Float](repeating: 1, count: 8 * 12), shape: [8, 12], to: "\(dir)/small.npy")
        let shape = message(try plan("\(dir)/c.npy", ["vacuum": "\(dir)/small.npy"]))
        XCTAssertTrue(shape.contains("small.npy") && shape.contains("8×12") && shape.contains("16×16"), shape)
        var holes = vacuum
        holes[3 * 16 + 5] = .nan
        try NPYWriter.write(holes, shape: [16, 16], to: "\(dir)/nan.npy")
        let nan = message(try plan("\(dir)/c.npy", ["vacuum": "\(dir)/nan.npy"]))
        XCTAssertTrue(nan.contains("nan.npy") && nan.contains("NaN") && nan.contains("[5, 3]") && nan.contains("replace"), nan)
        try NPYWriter.write([Float](repeating: 1, count: 8), shape: [2, 2, 2], to: "\(dir)/three.npy")
        let rank = message(try plan("\(dir)/c.npy", ["vacuum": "\(dir)/three.npy"]))
        XCTAssertTrue(rank.contains("three.npy") && rank.contains("rank 3"), rank)
    }

    /// `mode=particles` places a second stereo pair across the first (four views) unless
    /// `views=2`; other modes keep one pair; `views=3` is refused.
    func testParticlesUseFourViewsByDefault() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("views")
        try NPYWriter.write(STEM4DFixtures.cube(scan: 4, det: 32), shape: [4, 4, 32, 32], to: "\(dir)/c.npy")
        func pairs(_ params: [String: String]) throws -> [STEM4DPairRecord] {
            try JSONDecoder().decode(STEM4DMerge.Payload.self, from: Data(plan("\(dir)/c.npy", params).merge!.payload.utf8)).pairs
        }
        let four = try pairs(["mode": "particles", "stereo_azimuth_deg": "30"])
        XCTAssertEqual(four.map(\.minus), ["stereo0_minus", "stereo1_minus"])
        XCTAssertEqual(four.map(\.azimuthDeg), [30, 120])
        XCTAssertEqual(four[1].stereoAngleMrad, four[0].stereoAngleMrad, accuracy: 1e-6)
        XCTAssertEqual(try pairs(["mode": "particles", "views": "2"]).count, 1)
        XCTAssertEqual(try pairs(["mode": "dislocations"]).count, 2)
        XCTAssertEqual(try pairs(["mode": "dislocations", "views": "2"]).count, 1)
        XCTAssertEqual(try pairs(["views": "4"]).count, 2)
        let bad = message(try plan("\(dir)/c.npy", ["views": "3"]))
        XCTAssertTrue(bad.contains("views=3"), bad)
    }

    func testAwkwardInputsAreRefusedWithClearMessages() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("bad")
        // Wrong rank.
        try NPYWriter.write([UInt16](repeating: 1, count: 8 * 8 * 8), shape: [8, 8, 8], to: "\(dir)/three.npy")
        let rank = message(try plan("\(dir)/three.npy"))
        XCTAssertTrue(rank.contains("three.npy") && rank.contains("rank 3"), rank)
        // Unsupported dtype.
        try NPYWriter.write([Double](repeating: 1, count: 4 * 4 * 4 * 4), shape: [4, 4, 4, 4], to: "\(dir)/double.npy")
        let dtype = message(try plan("\(dir)/double.npy"))
        XCTAssertTrue(dtype.contains("double.npy") && dtype.contains("float32"), dtype)
        // Missing dataset, and a file without a 4D dataset.
        let h5 = try HDF5File.create(path: "\(dir)/two.h5")
        try h5.write(STEM4DFixtures.cube(scan: 4, det: 8), shape: [4, 4, 8, 8], to: "/a/cube")
        try h5.write([Float](repeating: 0, count: 16), shape: [4, 4], to: "/b/image")
        try h5.close()
        let missing = message(try plan("\(dir)/two.h5", ["dataset": "/nope"]))
        XCTAssertTrue(missing.contains("two.h5") && missing.contains("/nope") && missing.contains("/a/cube"), missing)
        let flat = try HDF5File.create(path: "\(dir)/flat.h5")
        try flat.write([Float](repeating: 0, count: 16), shape: [4, 4], to: "/image")
        try flat.close()
        let none = message(try plan("\(dir)/flat.h5"))
        XCTAssertTrue(none.contains("flat.h5") && none.contains("no 4D dataset"), none)
        // Merlin RAW mode without a counter depth at the end of the header.
        let det = 8
        var header = Array("MQ1,000001,00384,01,0008,0008,R64,  1x1,01,2024-01-01 00:00:00.000000,0.001000,0,0,0".utf8)
        header += [UInt8](repeating: 0x20, count: 384 - header.count)
        var bytes: [UInt8] = []
        for _ in 0..<4 { bytes += header + [UInt8](repeating: 0, count: det * det * 2) }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/raw.mib"))
        let raw = message(try plan("\(dir)/raw.mib", ["scan": "2x2"]))
        XCTAssertTrue(raw.contains("raw.mib") && raw.contains("RAW frames declare counter depth 0"), raw)
        // A .mib without .hdr needs the scan shape.
        try MIBWriter.write(path: "\(dir)/noscan.mib", width: 16, height: 16, pixelType: .u16,
                            pixels: STEM4DFixtures.cube(scan: 3, det: 16).map { UInt32($0) }, writeHeaderFile: false)
        let noscan = message(try plan("\(dir)/noscan.mib"))
        XCTAssertTrue(noscan.contains("noscan.mib") && noscan.contains("--param scan=WxH"), noscan)
        let tooMany = message(try plan("\(dir)/noscan.mib", ["scan": "4x4"]))
        XCTAssertTrue(tooMany.contains("needs 16 frames") && tooMany.contains("holds 9"), tooMany)
        XCTAssertNoThrow(try plan("\(dir)/noscan.mib", ["scan": "3x3"]))
        // Bad parameters.
        let param = message(try plan("\(dir)/noscan.mib", ["scan": "3x3", "detectors": "bf,xyz"]))
        XCTAssertTrue(param.contains("unknown detector xyz"), param)
        let angle = message(try plan("\(dir)/noscan.mib", ["scan": "3x3", "stereo_angle_deg": "30"]))
        XCTAssertTrue(angle.contains("noscan.mib") && angle.contains("stereo angle 30"), angle)
        let tiny = message(try plan("\(dir)/noscan.mib", ["scan": "3x3", "detector_radius_px": "9"]))
        XCTAssertTrue(tiny.contains("noscan.mib") && tiny.contains("does not fit"), tiny)
    }

    /// The shard kernel over awkward tiles equals the naive reference for every format.
    func testShardMatchesReferenceForEveryFormat() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("formats")
        let scan = 5, det = 12
        let cube = STEM4DFixtures.cube(scan: scan, det: det)
        try NPYWriter.write(cube, shape: [scan, scan, det, det], to: "\(dir)/c.npy")
        try MIBWriter.write(path: "\(dir)/c.mib", width: det, height: det, pixelType: .u16, pixels: cube.map { UInt32($0) },
                            scan: MIBScanShape(width: scan, height: scan))
        let h5 = try HDF5File.create(path: "\(dir)/c.h5")
        try h5.write(cube, shape: [scan, scan, det, det], to: "/data", options: .gzip(level: 1, chunkShape: [2, 3, det, det]))
        try h5.close()
        for name in ["c.npy", "c.mib", "c.h5"] {
            let plan = try plan("\(dir)/\(name)", ["rows_per_task": "2", "strategy": name == "c.h5" ? "dense" : "sparse"])
            let merge = try JSONDecoder().decode(STEM4DMerge.Payload.self, from: Data(plan.merge!.payload.utf8))
            let masks = merge.detectors.map { $0.geometry.rasterise(STEM4DDetectorShape(rows: det, cols: det)) }
            for shard in plan.shards {
                let payload = try JSONDecoder().decode(STEM4DShard.ShardPayload.self, from: Data(shard.payload.utf8))
                let partial = try STEM4DShard.computeBlock(payload, file: payload.file)
                let first = payload.y0 * scan
                for m in masks.indices {
                    for f in 0..<partial.frameCount {
                        var sum = 0.0
                        for p in 0..<(det * det) { sum += Double(masks[m][p]) * Double(cube[(first + f) * det * det + p]) }
                        XCTAssertEqual(Double(partial.images[m * partial.frameCount + f]), sum, accuracy: 1e-3 * max(1, sum), "\(name) mask \(m) frame \(first + f)")
                    }
                }
            }
        }
    }
}
