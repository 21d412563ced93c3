import Coordinator
import Kinds
import SliplineTestSupport
import Foundation
import Kernels
import Shared
import XCTest

final class BCDIPlannerTests: XCTestCase {
    func payloads(_ plan: (shards: [BCDITaskPayload], merge: NoOutput?, notes: [String])) -> [BCDITaskPayload] {
        plan.shards
    }

    func plan(_ input: String, _ params: [String: String] = [:]) throws -> (shards: [BCDITaskPayload], merge: NoOutput?, notes: [String]) {
        try KindHarness(BCDIKind(), input: input, params: params).plan()
    }

    func testDirectoryOfThreeVolumesAndAStrayFileInNaturalOrder() throws {
        let dir = try BCDIFixtures.temporaryDirectory("plan")
        let v = BCDIFixtures.volume(BCDIShape(nz: 12, ny: 14, nx: 16))
        for name in ["t10.cxi", "t2.cxi", "t1.h5"] { try BCDIFixtures.writeCXI(v, to: "\(dir)/\(name)") }
        try "notes".write(toFile: "\(dir)/README.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(dir)/sub", withIntermediateDirectories: true)
        let plan = try plan(dir)
        let shards = payloads(plan)
        XCTAssertEqual(shards.map { ($0.file as NSString).lastPathComponent }, ["t1.h5", "t2.cxi", "t10.cxi"])
        XCTAssertEqual(shards.map(\.volumeIndex), [0, 1, 2])
        XCTAssertEqual(shards.map(\.shape), Array(repeating: [12, 14, 16], count: 3))
        XCTAssertTrue(shards.allSatisfy { $0.z0 == 0 && $0.z1 == 12 && $0.error == nil })
        XCTAssertNotNil(plan.merge)
        XCTAssertEqual(plan.notes.count, 1)
        XCTAssertTrue(plan.notes[0].contains("README.txt"), plan.notes[0])
    }

    func testMissingDatasetNamesFileAndDatasetAndOverrideWorks() throws {
        let dir = try BCDIFixtures.temporaryDirectory("plan")
        let v = BCDIFixtures.volume(BCDIShape(nz: 8, ny: 8, nx: 8))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/odd.h5", dataset: "/recon/obj", mask: false)
        XCTAssertThrowsError(try plan("\(dir)/odd.h5")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("odd.h5") && text.contains("/entry_1/image_1/data") && text.contains("/recon/obj"), text)
        }
        XCTAssertThrowsError(try plan("\(dir)/odd.h5", ["dataset": "/nope"])) { error in
            XCTAssertTrue("\(error)".contains("odd.h5 dataset /nope: no such dataset"), "\(error)")
        }
        let ok = payloads(try plan("\(dir)/odd.h5", ["dataset": "/recon/obj"]))
        XCTAssertEqual(ok.first?.shape, [8, 8, 8])
        XCTAssertThrowsError(try plan("\(dir)/missing.cxi")) { XCTAssertTrue("\($0)".contains("missing.cxi"), "\($0)") }
    }

    func testWrongRankAndRealDataAreRefusedWithTheReason() throws {
        let dir = try BCDIFixtures.temporaryDirectory("plan")
        let flat = try HDF5File.create(path: "\(dir)/flat.cxi")
        try flat.writeComplex(interleaved: [Float](repeating: 1, count: 2 * 64), shape: [8, 8], to: "/entry_1/image_1/data")
        try flat.close()
        XCTAssertThrowsError(try plan("\(dir)/flat.cxi")) { error in
            XCTAssertTrue("\(error)".contains("flat.cxi dataset /entry_1/image_1/data") && "\(error)".contains("rank 2"), "\(error)")
        }
        let real = try HDF5File.create(path: "\(dir)/real.cxi")
        try real.write([Float](repeating: 1, count: 512), shape: [8, 8, 8], to: "/entry_1/image_1/data")
        try real.close()
        XCTAssertThrowsError(try plan("\(dir)/real.cxi")) { error in
            XCTAssertTrue("\(error)".contains("real.cxi") && "\(error)".contains("not complex"), "\(error)")
        }
        // In a series, a bad file gets a task that fails with the reason; the rest is planned.
        let v = BCDIFixtures.volume(BCDIShape(nz: 8, ny: 8, nx: 8))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/good.cxi")
        let shards = payloads(try plan(dir))
        XCTAssertEqual(shards.count, 3)
        XCTAssertEqual(shards.filter { $0.error == nil }.map { ($0.file as NSString).lastPathComponent }, ["good.cxi"])
        XCTAssertTrue(shards.compactMap(\.error).contains { $0.contains("rank 2") })
    }

    func testModesAxisNpyAndSlabs() throws {
        let dir = try BCDIFixtures.temporaryDirectory("plan")
        let v = BCDIFixtures.volume(BCDIShape(nz: 20, ny: 10, nx: 12))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/modes.cxi", modes: 2)
        let slabs = payloads(try plan("\(dir)/modes.cxi", ["slab_planes": "6"]))
        XCTAssertEqual(slabs.map { $0.z0..<$0.z1 }, [0..<6, 6..<12, 12..<18, 18..<20])
        XCTAssertTrue(slabs.allSatisfy { $0.shape == [20, 10, 12] })
        XCTAssertEqual(Set(slabs.map(\.slabFile)).count, 4)
        try NPYWriter.writeComplex64(interleaved: BCDIFixtures.interleaved(v), shape: [20, 10, 12], to: "\(dir)/vol.npy")
        XCTAssertEqual(payloads(try plan("\(dir)/vol.npy")).map(\.shape), [[20, 10, 12]])
        XCTAssertThrowsError(try plan("\(dir)/vol.npy", ["method": "fourier"])) { XCTAssertTrue("\($0)".contains("method"), "\($0)") }
    }
}
