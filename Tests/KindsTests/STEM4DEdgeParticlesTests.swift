import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// Particles cut by the scan edge are found and flagged in `stem4d/particles.json`, not dropped.
final class STEM4DEdgeParticlesTests: XCTestCase {
    func testParticlesCutByTheScanEdgeAreFlagged() throws {
        var p = STEM4DSynthParams()
        p.scanRows = 48; p.scanCols = 48; p.sphereCount = 14; p.bfCounts = 60; p.seed = 5
        p.sphereRadiusMin = 3; p.sphereRadiusMax = 3.5
        p.margin = -3  // centres anywhere up to the scan's border
        p.bfRadius = 12; p.bfCx = 15.6; p.bfCy = 15.8
        let syn = STEM4DSynthesizer.make(p)
        func cut(_ x: Double, _ y: Double, _ r: Double) -> Bool { x - r < -0.5 || y - r < -0.5 || x + r > 47.5 || y + r > 47.5 }
        let cutTruth = syn.truth.spheres.filter { cut($0[0], $0[1], $0[3]) }
        XCTAssertGreaterThanOrEqual(cutTruth.count, 2, "the draw must hold spheres cut by the edge")
        let dir = try STEM4DFixtures.temporaryDirectory("edge")
        try NPYWriter.write(syn.cube, shape: [48, 48, 32, 32], to: "\(dir)/c.npy")
        let (_, rows, _) = try STEM4DQualityHarness.runJob(input: "\(dir)/c.npy", params: ["mode": "particles"], output: "\(dir)/out")
        let particleRows = rows.filter { $0.table == "stem4d_particle_results" }.flatMap(\.rows)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: STEM4DPaths.particles("\(dir)/out"))))
        let entries = try XCTUnwrap(json as? [[String: Any]])
        XCTAssertEqual(entries.count, particleRows.count, "one entry per particle row")
        let found = entries.map { e in
            STEM4DParticle3D(x: e["x"] as! Double, y: e["y"] as! Double, z: e["z"] as! Double, radius: e["radius"] as! Double)
        }
        let flagged = entries.map { $0["cut_by_scan_edge"] as! Bool }
        // Every cut true sphere is found, and the particle it matches is flagged.
        let score = STEM4DParticleEvaluation.score(truth: cutTruth, found: found)
        XCTAssertEqual(score.recall, 1, "spheres cut by the edge: \(score)")
        for t in cutTruth {
            let nearest = found.indices.min { a, b in
                hypot(found[a].x - t[0], found[a].y - t[1]) < hypot(found[b].x - t[0], found[b].y - t[1])
            }!
            XCTAssertTrue(flagged[nearest], "sphere at (\(t[0]), \(t[1])) r \(t[3]) found but not flagged")
        }
        let whole = STEM4DParticleEvaluation.score(truth: syn.truth.spheres, found: found)
        XCTAssertGreaterThanOrEqual(whole.precision, 0.9, "\(whole)")
    }
}
