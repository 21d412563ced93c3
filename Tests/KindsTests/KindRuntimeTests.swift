import Coordinator
import Foundation
import Kernels
@testable import Kinds
import Shared
import SliplineTestSupport
import Worker
import XCTest

/// What every kind shares: the list, detection, the output guard, the bench kind's merge.
final class KindRuntimeTests: XCTestCase {
    func testKindsAreListedOnceWithMatchingRunnersAndPlanners() {
        XCTAssertEqual(Kinds.names, ["tem", "bcdi", "stem4d", "bench", "nanodiff"])
        for kind in Kinds.all {
            XCTAssertEqual(kind.runner.kinds, [kind.name])
            XCTAssertEqual(kind.planner.kind, kind.name)
            XCTAssertTrue(Kinds.named(kind.name)?.name == kind.name)
        }
        XCTAssertNil(Kinds.named("tem.merge"))
    }

    func testDetectionByFileTypeAndContent() throws {
        let dir = try TestFiles.temporaryDirectory("detect")
        try FileManager.default.createDirectory(atPath: dir + "/video", withIntermediateDirectories: true)
        try PNGWriter.writeGray8(path: dir + "/video/f0.png", width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 16))
        XCTAssertEqual(try Kinds.detect(dir + "/video").name, "tem")

        let v = BCDIFixtures.volume(BCDIShape(nz: 6, ny: 6, nx: 6))
        try BCDIFixtures.writeCXI(v, to: dir + "/v.cxi")
        XCTAssertEqual(try Kinds.detect(dir + "/v.cxi").name, "bcdi")
        try NPYWriter.writeComplex64(interleaved: BCDIFixtures.interleaved(v), shape: [6, 6, 6], to: dir + "/v.npy")
        XCTAssertEqual(try Kinds.detect(dir + "/v.npy").name, "bcdi")
        try NPYWriter.write(STEM4DFixtures.cube(scan: 2, det: 8), shape: [2, 2, 8, 8], to: dir + "/cube.npy")
        XCTAssertEqual(try Kinds.detect(dir + "/cube.npy").name, "stem4d")

        // A frame and a volume side by side: two certain kinds.
        try PNGWriter.writeGray8(path: dir + "/f0.png", width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 16))
        XCTAssertThrowsError(try Kinds.detect(dir)) { error in
            XCTAssertTrue("\(error)".contains("ambiguous") && "\(error)".contains("--kind tem|bcdi"), "\(error)")
        }
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        XCTAssertThrowsError(try Kinds.detect(dir + "/empty")) { error in
            XCTAssertTrue("\(error)".contains("cannot tell") && "\(error)".contains("--kind tem|bcdi|stem4d"), "\(error)")
        }
        XCTAssertThrowsError(try Kinds.detect(dir + "/nothing")) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
    }

    /// `output_dir=/proc/x` used to be accepted; the shards ran and the merge died three times
    /// with a raw NSCocoaErrorDomain message. Now planning refuses it, naming the directory.
    func testAnUnwritableOutputDirectoryFailsThePlan() throws {
        let dir = try TestFiles.temporaryDirectory("guard")
        try PNGWriter.writeGray8(path: dir + "/f0.png", width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 16))
        for bad in ["/proc/x", "/proc/version/sub"] {
            XCTAssertThrowsError(try KindHarness(TEMKind(), input: dir, params: ["output_dir": bad]).jobPlan()) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("the output directory \(bad) cannot be written") && text.contains("--param output_dir=DIR"), text)
                XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
            }
        }
        let fine = try TestFiles.temporaryDirectory("guardok") + "/deep/er"
        XCTAssertNoThrow(try KindHarness(TEMKind(), input: dir, params: ["output_dir": fine]).jobPlan())
        XCTAssertTrue(FileManager.default.fileExists(atPath: fine))
    }

    func testTasksMayNotWriteOutsideTheOutputDirectory() {
        let out = OutputDirectory(path: "/tmp/job-1/")
        XCTAssertEqual(try out.check("/tmp/job-1/a/b.h5"), "/tmp/job-1/a/b.h5")
        XCTAssertThrowsError(try out.check("/tmp/job-1/../job-2/x")) { XCTAssertTrue("\($0)".contains("outside the job's output directory"), "\($0)") }
        XCTAssertThrowsError(try out.check("/tmp/job-10/x"))
    }

    func testBenchMergeCountsTheShardsThatHandedAnOutput() throws {
        let harness = try KindHarness(BenchKind(), input: "label", params: ["tasks": "5", "fail": "first"])
        let run = try harness.run()
        // Every first attempt fails: as the last attempt here, all shards are dead.
        XCTAssertEqual(run.errors.count, 5)
        XCTAssertEqual(run.mergeRows.rows(of: "bench_merges").first?["n_results"] as? Int, 0)
        XCTAssertEqual(run.mergeRows.rows(of: "bench_merges").first?["n_expected"] as? Int, 5)
        let ok = try KindHarness(BenchKind(), input: "label", params: ["tasks": "4"]).run()
        XCTAssertEqual(ok.mergeRows.rows(of: "bench_merges").first?["n_results"] as? Int, 4)
        XCTAssertThrowsError(try KindHarness(BenchKind(), input: "label", params: ["fail": "sometimes"]).jobPlan()) {
            XCTAssertTrue("\($0)".contains("--param fail=sometimes"), "\($0)")
        }
    }
}
