import XCTest
@testable import Kernels

final class STEM4DParticleTests: XCTestCase {
    /// End to end on a small cube: every particle found, depth within the target.
    func testPipelineOnSmallCube() throws {
        var p = STEM4DSynthParams.particles
        p.scanRows = 80; p.scanCols = 80; p.sphereCount = 15; p.seed = 11
        let syn = STEM4DSynthesizer.make(p)
        var s = STEM4DParticlePipeline.Settings(convergenceMrad: p.convergenceMrad)
        s.stereo.zMin = p.slabTop - 10; s.stereo.zMax = p.slabTop + p.slabThickness + 10
        let r = try syn.cube.withUnsafeBufferPointer {
            try STEM4DParticlePipeline.run(.uint16($0), scanRows: p.scanRows, scanCols: p.scanCols, detector: syn.detector, settings: s)
        }
        XCTAssertEqual(r.pair.stereoAngleDeg, 8, accuracy: 0.2)
        let score = STEM4DParticleEvaluation.score(truth: syn.truth.spheres, found: r.particles)
        XCTAssertGreaterThanOrEqual(score.recall, 0.93, "\(score)")
        XCTAssertGreaterThanOrEqual(score.precision, 0.93, "\(score)")
        XCTAssertLessThanOrEqual(score.medianDepthError, 2, "\(score)")
        // Four views: a second pair across the first.
        s.secondAzimuthDeg = 90
        let r4 = try syn.cube.withUnsafeBufferPointer {
            try STEM4DParticlePipeline.run(.uint16($0), scanRows: p.scanRows, scanCols: p.scanCols, detector: syn.detector, settings: s)
        }
        XCTAssertEqual(r4.secondViews.count, 2)
        let score4 = STEM4DParticleEvaluation.score(truth: syn.truth.spheres, found: r4.particles)
        XCTAssertGreaterThanOrEqual(score4.recall, 0.93, "\(score4)")
        XCTAssertLessThanOrEqual(score4.medianDepthError, 2, "\(score4)")
        XCTAssertTrue(r4.particles.allSatisfy { $0.views >= 2 })
    }

    func testBlobDetectorFindsDarkDisksSubPixel() {
        let (w, h) = (40, 30)
        let centres = [(10.3, 12.6, 3.5), (28.8, 15.2, 4.5)]
        var px = [Float](repeating: 100, count: w * h)
        for y in 0..<h { for x in 0..<w { for (cx, cy, r) in centres {
            let q = 1 - ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)) / (r * r)
            if q > 0 { px[y * w + x] -= Float(50 * q.squareRoot()) }
        } } }
        // A little deterministic noise so the noise estimate is not zero.
        var rng = SeededRandom(seed: 1)
        for i in px.indices { px[i] += Float(rng.gaussian()) }
        let blobs = STEM4DBlobDetector().detect(STEM4DImage(rows: h, cols: w, pixels: px))
        XCTAssertEqual(blobs.count, 2, "\(blobs)")
        for (cx, cy, _) in centres {
            XCTAssertTrue(blobs.contains { abs($0.x - cx) < 0.3 && abs($0.y - cy) < 0.3 }, "\(blobs)")
        }
    }

    /// Exact blobs in 2 and 4 views triangulate exactly; a decoy off the epipolar line is ignored.
    func testTriangulationTwoAndFourViews() {
        let truth: [(Double, Double, Double)] = [(20, 30, 5), (40, 30, -7), (60, 10, 12)]
        let h = sin(8.0 * .pi / 180 / 2)
        let tilts = [(-h, 0.0), (h, 0.0), (0.0, -h), (0.0, h)]
        let views = tilts.map { t in
            STEM4DParticleView(blobs: truth.map { STEM4DBlob(x: $0.0 - $0.2 * t.0, y: $0.1 - $0.2 * t.1, radius: 4, strength: 10) },
                               tx: t.0, ty: t.1)
        }
        var two = Array(views.prefix(2))
        two[1].blobs.append(STEM4DBlob(x: 20, y: 35, radius: 4, strength: 10))
        for vs in [two, views] {
            let ps = STEM4DParticleStereo().reconstruct(vs)
            XCTAssertEqual(ps.count, 3)
            for (t, q) in zip(truth, ps) {
                XCTAssertEqual(q.x, t.0, accuracy: 1e-6); XCTAssertEqual(q.y, t.1, accuracy: 1e-6)
                XCTAssertEqual(q.z, t.2, accuracy: 1e-6)
                XCTAssertEqual(q.views, vs.count)
            }
        }
    }

    /// Four views: a particle missing from view 0 is still found from the other three.
    func testFourViewsFindParticlesMissedInTheFirstView() {
        let truth: [(Double, Double, Double)] = [(20, 30, 5), (40, 30, -7), (60, 10, 12)]
        let h = sin(8.0 * .pi / 180 / 2)
        let tilts = [(-h, 0.0), (h, 0.0), (0.0, -h), (0.0, h)]
        var views = tilts.map { t in
            STEM4DParticleView(blobs: truth.map { STEM4DBlob(x: $0.0 - $0.2 * t.0, y: $0.1 - $0.2 * t.1, radius: 4, strength: 10) },
                               tx: t.0, ty: t.1)
        }
        views[0].blobs.removeLast()
        let ps = STEM4DParticleStereo().reconstruct(views)
        XCTAssertEqual(ps.count, 3)
        XCTAssertEqual(ps.map(\.views), [4, 4, 3])
        XCTAssertEqual(ps[2].z, 12, accuracy: 1e-6)
        // Two views: nothing to recover from.
        XCTAssertEqual(STEM4DParticleStereo().reconstruct(Array(views.prefix(2))).count, 2)
    }

    /// Uniform points in a thin slab: edge-corrected g(r) ≈ 1 also for r beyond the thickness.
    func testRadialDistributionOfUniformPointsIsOne() {
        var rng = SeededRandom(seed: 4)
        let lo = [0.0, 0.0, -10.0], hi = [200.0, 200.0, 10.0]
        let pts = (0..<3000).map { _ in (0..<3).map { rng.uniform(lo[$0]...hi[$0]) } }
        let g = STEM4DRadialDistribution.compute(points: pts, lo: lo, hi: hi, rMax: 40, binWidth: 5)
        for b in g where b.r > 3 { XCTAssertEqual(b.g, 1, accuracy: 0.12, "r = \(b.r)") }
        XCTAssertEqual(STEM4DRadialDistribution.setCovariance(edges: [3, 4, 5], r: 0), 60, accuracy: 1e-9)
        // Hard-core: no pairs closer than the exclusion distance ⇒ g = 0 there.
        let sparse = [[0.0, 0, 0], [10.0, 0, 0], [0.0, 10, 0]]
        XCTAssertEqual(STEM4DRadialDistribution.compute(points: sparse, lo: [-1, -1, -1], hi: [11, 11, 1], rMax: 5, binWidth: 1)
            .map(\.g), [0, 0, 0, 0, 0])
    }
}
