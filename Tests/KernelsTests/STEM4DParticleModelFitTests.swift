import XCTest
@testable import Kernels

/// The joint model fit of particles over all views (`STEM4DParticleModelFit`) on views drawn
/// independently of it: each pixel averages 4×4 points of the projected spheres' chords (not
/// the fit's 2×2), Poisson counts.
final class STEM4DParticleModelFitTests: XCTestCase {
    /// Four views, shift per unit depth ±h along x and along y.
    let shifts: [(Double, Double)] = [(-0.07, 0), (0.07, 0), (0, -0.07), (0, 0.07)]

    /// The views of spheres `[x, y, z, r]` (or `[x, y, z, r, contrast]`) at `level` counts,
    /// absorption `contrast`·chord.
    func views(_ w: Int, _ h: Int, _ spheres: [[Double]], level: Double = 60, contrast: Double = 0.4,
               seed: UInt64 = 1, shifts given: [(Double, Double)]? = nil, profile: (Double) -> Double = { $0 },
               aspect: Double = 1) -> [STEM4DParticleModelFit.View] {
        (given ?? shifts).enumerated().map { k, t in
            var rng = SeededRandom(seed: seed &+ UInt64(k) &* 7919)
            var px = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    var a = 0.0
                    for s in spheres {
                        let cx = s[0] - s[2] * t.0, cy = s[1] - s[2] * t.1, r = s[3]
                        for sy in 0..<4 {
                            for sx in 0..<4 {
                                let ox = (Double(x) + (Double(sx) - 1.5) / 4 - cx) / aspect, oy = Double(y) + (Double(sy) - 1.5) / 4 - cy
                                a += (s.count > 4 ? s[4] : contrast) * aspect * profile(max(0, 1 - (ox * ox + oy * oy) / (r * r)).squareRoot()) / 16
                            }
                        }
                    }
                    px[y * w + x] = Float(rng.poisson(level * max(0.05, 1 - a)))
                }
            }
            return STEM4DParticleModelFit.View(image: STEM4DImage(rows: h, cols: w, pixels: px), tx: t.0, ty: t.1)
        }
    }

    func assertFound(_ found: [STEM4DParticle3D], _ truth: [[Double]], lateral: Double = 1, depth: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found.count, truth.count, "\(what): \(found.map { [$0.x, $0.y, $0.z, $0.radius] })", file: file, line: line)
        for s in truth {
            XCTAssertTrue(found.contains { hypot($0.x - s[0], $0.y - s[1]) < lateral && abs($0.z - s[2]) < depth },
                          "\(what): \(s) not in \(found.map { [$0.x, $0.y, $0.z, $0.radius] })", file: file, line: line)
        }
    }

    /// Two spheres overlapping in projection at depths 30 px apart, found from nothing: every
    /// view shows one merged blob or two touching ones; the residual sweep separates them.
    func testOverlappingSpheresAtDifferentDepthsFromNothing() {
        let truth: [[Double]] = [[20, 24, -15, 3], [23.5, 25, 15, 3], [36, 12, 5, 2.5]]
        let fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 6, zMin: -40, zMax: 40)
        let found = fit.fit([], views: views(48, 40, truth))
        assertFound(found, truth, depth: 3, "overlapping in projection")
    }

    /// A chain of three touching spheres at one depth, started from a single merged particle.
    func testChainFromOneMergedParticle() {
        let truth: [[Double]] = [[14, 20, 0, 3], [20, 20, 0, 3], [26, 20.5, 0, 3]]
        let fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 8, zMin: -30, zMax: 30)
        let found = fit.fit([STEM4DParticle3D(x: 20, y: 20, z: 0, radius: 6)], views: views(40, 40, truth, seed: 3))
        assertFound(found, truth, depth: 2.5, "chain")
    }

    /// Depth from the whole template: an isolated sphere started 8 px off in depth comes back
    /// within half a pixel.
    func testDepthRefinedFromWrongStart() {
        let truth: [[Double]] = [[16, 15, 12, 3.5]]
        let fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 8, zMin: -30, zMax: 30)
        let found = fit.fit([STEM4DParticle3D(x: 16.5, y: 15, z: 4, radius: 3)], views: views(32, 30, truth, level: 200, seed: 5))
        assertFound(found, truth, lateral: 0.3, depth: 1, "depth")
    }

    /// The reported depth standard error against the scatter of the fitted depths over noise
    /// draws: an isolated sphere seen with a small shift per unit depth (|t| = 0.03, so a tenth
    /// of a pixel of disparity is several pixels of depth), 16 Poisson draws. The r.m.s. depth
    /// error lies within a factor 2 of the median reported σ, and σ grows as |t| shrinks.
    func testDepthSigmaMatchesScatter() {
        let truth: [[Double]] = [[16, 15, 6, 3]]
        let fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 8, zMin: -40, zMax: 40)
        func run(_ h: Double) -> (rms: Double, sigma: Double) {
            let shifts = [(-h, 0.0), (h, 0.0), (0.0, -h), (0.0, h)]
            var sq = 0.0, sigmas: [Double] = []
            for seed in 1...16 {
                let found = fit.fit([STEM4DParticle3D(x: 16, y: 15, z: 6, radius: 3)],
                                    views: views(32, 30, truth, level: 20, seed: UInt64(seed) &* 31, shifts: shifts))
                guard let p = found.first, found.count == 1 else { XCTFail("seed \(seed): \(found)"); continue }
                sq += (p.z - 6) * (p.z - 6)
                sigmas.append(p.depthSigma ?? .nan)
            }
            return ((sq / 16).squareRoot(), sigmas.sorted()[8])
        }
        let small = run(0.03), large = run(0.07)
        for (what, r) in [("|t| 0.03", small), ("|t| 0.07", large)] {
            XCTAssertTrue(r.sigma.isFinite && r.sigma > 0, "\(what): σ \(r.sigma)")
            XCTAssertLessThan(r.rms, 2 * r.sigma, "\(what): rms \(r.rms), σ \(r.sigma)")
            XCTAssertGreaterThan(r.rms, 0.5 * r.sigma, "\(what): rms \(r.rms), σ \(r.sigma)")
        }
        XCTAssertGreaterThan(small.sigma, 1.5 * large.sigma)
    }

    /// The merge test and the local noise scale keep real neighbours: spheres overlapping in
    /// projection at different depths and a chain of touching ones are all still found.
    func testSelectionKeepsRealNeighbours() {
        for (merge, local, hard) in [(true, false, STEM4DParticleModelFit.HardSpheres.off), (false, true, .off), (false, false, .overlap), (false, false, .centre), (false, false, .refit)] {
            var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 6, zMin: -40, zMax: 40)
            fit.mergeTest = merge; fit.localNoise = local; fit.hardSpheres = hard
            let what = "merge \(merge), local noise \(local), hard spheres \(hard)"
            let overlapping: [[Double]] = [[20, 24, -15, 3], [23.5, 25, 15, 3], [36, 12, 5, 2.5]]
            assertFound(fit.fit([], views: views(48, 40, overlapping)), overlapping, depth: 3, "overlapping, \(what)")
            fit.radiusMax = 8; fit.zMin = -30; fit.zMax = 30
            let chain: [[Double]] = [[14, 20, 0, 3], [20, 20, 0, 3], [26, 20.5, 0, 3]]
            assertFound(fit.fit([STEM4DParticle3D(x: 20, y: 20, z: 0, radius: 6)], views: views(40, 40, chain, seed: 3)), chain,
                        depth: 2.5, "chain, \(what)")
            for seed in [UInt64(1), 2, 3] {
                XCTAssertEqual(fit.fit([STEM4DParticle3D(x: 10, y: 10, z: 0, radius: 2)], views: views(33, 27, [], level: 3, seed: seed)).count, 0,
                               "noise, \(what)")
            }
        }
    }

    /// A particle whose shape the model lacks (an ellipsoid, 1.3 times longer along x, at high
    /// dose): the plain fit hangs small spheres on its ends, which lower χ² far beyond any noise
    /// model, global or local, and which a neighbour refitted alone cannot replace (merge test).
    /// They interpenetrate the main sphere far beyond their measured uncertainty: the
    /// hard-sphere rule (overlap) drops them. The centre-inside rule does not (their centres sit
    /// 0.5 px inside the main sphere's rim). What each rule leaves is printed.
    func testHardSpheresDropRimSpheresOfAnEllipsoid() {
        let truth: [[Double]] = [[18, 17, 4, 5]]
        let v = views(36, 34, truth, level: 400, contrast: 0.5, seed: 9, aspect: 1.3)
        let start = [STEM4DParticle3D(x: 18, y: 17, z: 4, radius: 5)]
        var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 8, zMin: -30, zMax: 30)
        let plain = fit.fit(start, views: v)
        fit.mergeTest = true
        let merged = fit.fit(start, views: v)
        fit.mergeTest = false; fit.localNoise = true
        let local = fit.fit(start, views: v)
        fit.localNoise = false; fit.hardSpheres = .overlap
        let hard = fit.fit(start, views: v)
        fit.hardSpheres = .centre
        let centre = fit.fit(start, views: v)
        fit.hardSpheres = .refit
        let refit = fit.fit(start, views: v)
        func show(_ p: [STEM4DParticle3D]) -> String { "\(p.map { [$0.x, $0.y, $0.z, $0.radius] })" }
        print("ellipsoid: plain \(show(plain)), merge \(show(merged)), local noise \(show(local)), hard spheres \(show(hard)), centre \(show(centre)), refit \(show(refit))")
        XCTAssertGreaterThan(plain.count, 1, "the case must show the problem: \(show(plain))")
        assertFound(hard, truth, lateral: 1, depth: 2, "ellipsoid, hard spheres")
        assertFound(refit, truth, lateral: 1, depth: 2, "ellipsoid, hard spheres (refit)")
    }

    /// The depth-outlier rule (`depthOutlierFactor`): a sphere is dropped when its depth
    /// standard error exceeds the factor times the median of the fit's spheres, and never when
    /// its depth is not constrained at all; real spheres overlapping in projection and a
    /// touching chain all keep their claim (their depths are pinned alike).
    func testDepthOutlierRuleDropsOnlyUndeterminedDepths() {
        XCTAssertEqual(STEM4DParticleModelState.depthDetermined([1, 1.2, 0.8, 2.5, .infinity, .nan], factor: 2),
                       [true, true, true, false, false, false])
        XCTAssertEqual(STEM4DParticleModelState.depthDetermined([.infinity], factor: 2), [false])
        XCTAssertEqual(STEM4DParticleModelState.depthDetermined([], factor: 2), [])
        var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 6, zMin: -40, zMax: 40)
        fit.mergeTest = true; fit.depthOutlierFactor = 2
        let overlapping: [[Double]] = [[20, 24, -15, 3], [23.5, 25, 15, 3], [36, 12, 5, 2.5]]
        assertFound(fit.fit([], views: views(48, 40, overlapping)), overlapping, depth: 3, "overlapping, depth outliers dropped")
        fit.radiusMax = 8; fit.zMin = -30; fit.zMax = 30
        let chain: [[Double]] = [[14, 20, 0, 3], [20, 20, 0, 3], [26, 20.5, 0, 3]]
        assertFound(fit.fit([STEM4DParticle3D(x: 20, y: 20, z: 0, radius: 6)], views: views(40, 40, chain, seed: 3)), chain,
                    depth: 2.5, "chain, depth outliers dropped")
    }

    /// The depth-outlier rule limited to spheres lying on another (`depthOutlierOverlappingOnly`):
    /// a faint small sphere alone (r 2.2 at a contrast of 0.12 among four of r 4 at 0.4) has a
    /// depth standard error several times the median of the fit's and goes under the plain rule,
    /// though nothing else explains its pixels; limited to overlapping spheres, the rule keeps it.
    func testDepthOutlierRuleSparesASphereAlone() {
        let truth: [[Double]] = [[12, 12, -8, 4], [36, 12, 6, 4], [12, 36, 10, 4], [36, 36, -5, 4], [24, 24, 3, 2.2, 0.12]]
        var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 6, zMin: -30, zMax: 30)
        fit.depthOutlierFactor = 2
        let v = views(48, 48, truth, level: 400, seed: 21)
        let start = truth.map { STEM4DParticle3D(x: $0[0], y: $0[1], z: $0[2], radius: $0[3]) }
        let plain = fit.fit(start, views: v)
        XCTAssertFalse(plain.contains { hypot($0.x - 24, $0.y - 24) < 1 }, "the plain rule drops the sphere alone: \(plain.map { [$0.x, $0.y, $0.z, $0.radius, $0.depthSigma ?? .nan] })")
        fit.depthOutlierOverlappingOnly = true
        assertFound(fit.fit(start, views: v), truth, depth: 6, "limited to overlapping spheres")
    }

    /// The joint depth profile (`placeAtJointDepths`, `particle_depth_outlier_joint`): a sphere
    /// held at a wrong depth (−5 instead of 15) on a neighbour it overlaps in every view, the
    /// neighbour fitted around it, is moved by its profile with the neighbour refitted to where
    /// the views put it (12.2); the neighbour, then moved by its own profile, returns to its depth
    /// (−17.6) and size. (Checked outside the test runner with the same code, 7 December: 12.2, −17.6,
    /// r 3.05, 12.5.)
    func testJointDepthProfileMovesACrowdedSphereToItsDepth() {
        let truth: [[Double]] = [[20, 24, -15, 3], [22, 25, 15, 3]]
        let fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 6, zMin: -40, zMax: 40)
        let state = STEM4DParticleModelState(views: views(48, 40, truth, seed: 5), fit: fit)
        state.add(.init(x: 20, y: 24, z: -15, r: 3, c: 0))
        state.add(.init(x: 22, y: 25, z: -5, r: 3, c: 0))
        state.initialBackground()
        state.refine(1, atDepth: -5)
        state.refine(0, scanDepth: false)
        state.refine(1, atDepth: -5)
        state.refitBackground()
        state.measureMismatch()
        XCTAssertEqual(state.spheres[1].z, -5, "the case must start at the wrong depth")
        XCTAssertEqual(state.placeAtJointDepths([1]), 1)
        XCTAssertEqual(state.spheres[1].z, 15, accuracy: 4, "\(state.spheres)")
        // The neighbour, fitted small and deep around the wrong depth (r 1.8 at −27), is put back
        // by its own profile.
        state.placeAtJointDepths([0])
        XCTAssertEqual(state.spheres[0].z, -15, accuracy: 4, "\(state.spheres)")
        XCTAssertEqual(state.spheres[0].r, 3, accuracy: 0.5, "\(state.spheres)")
        XCTAssertEqual(state.spheres[1].z, 15, accuracy: 4, "\(state.spheres)")
    }

    /// Noise alone gives nothing, and a spurious start is dropped.
    func testNoiseGivesNothing() {
        let fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 8, zMin: -30, zMax: 30)
        for seed in [UInt64(1), 2, 3] {
            XCTAssertEqual(fit.fit([STEM4DParticle3D(x: 10, y: 10, z: 0, radius: 2)], views: views(33, 27, [], level: 3, seed: seed)).count, 0)
        }
    }

    /// Awkward shapes: one view, mismatched sizes and tiny images return the start unchanged.
    func testAwkwardInputs() {
        let fit = STEM4DParticleModelFit()
        let start = [STEM4DParticle3D(x: 1, y: 1, z: 0, radius: 2)]
        let v = views(9, 7, [])
        XCTAssertEqual(fit.fit(start, views: [v[0]]), start)
        XCTAssertEqual(fit.fit(start, views: [v[0], STEM4DParticleModelFit.View(image: STEM4DImage(rows: 3, cols: 3, pixels: .init(repeating: 1, count: 9)), tx: 0, ty: 0)]), start)
        XCTAssertLessThanOrEqual(fit.fit(start, views: v).count, 1)
    }

    /// The rendered chord against a direct 16×16 sub-pixel average: within the 2×2 average's
    /// own sampling error, and exactly zero outside the sphere.
    func testChordAgainstFineReference() {
        for (cx, cy, r) in [(5.3, 4.7, 2.2), (0.0, 0.0, 1.5), (7.5, 3.25, 6.0)] {
            for y in -2...12 {
                for x in -2...14 {
                    var fine = 0.0
                    for sy in 0..<16 { for sx in 0..<16 {
                        let ox = Double(x) + (Double(sx) - 7.5) / 16 - cx, oy = Double(y) + (Double(sy) - 7.5) / 16 - cy
                        fine += max(0, 1 - (ox * ox + oy * oy) / (r * r)).squareRoot() / 256
                    } }
                    let coarse = STEM4DParticleModelState.chord(x, y, cx, cy, r)
                    XCTAssertEqual(coarse, fine, accuracy: 0.1, "(\(x), \(y)) of (\(cx), \(cy), \(r))")
                    if hypot(Double(x) - cx, Double(y) - cy) > r + 1 { XCTAssertEqual(coarse, 0) }
                }
            }
        }
    }
}
