import XCTest
@testable import Kernels

/// `TEMRegistration.Config.halfSize` (`--param registration=half`, off; issue 11 item 5): the
/// correlation estimator on a 64² transform and the half-resolution fit kept. On a drifting,
/// jittering randomised video it still follows the stage; its drifts are its own (not the
/// default's), and the default's estimator keeps its 128² transform.
final class TEMRegistrationHalfTests: XCTestCase {
    func testHalfSizeFollowsADriftingStageOnItsOwnGrid() {
        let frames = 12
        var p = TEMSynthParams.randomized(.medium, seed: 3, frames: frames)
        p.nuisance!.driftVelocity = TEMPoint(2.2, -1.3)
        p.nuisance!.jitter = 1
        p.nuisance!.driftBound = 30
        let s = TEMSynthesizer(params: p)
        var detector = TEMDetector(config: .video)
        let images = (0..<frames).map { s.frame($0) }
        let lines = images.map { detector.detect($0, width: p.width, height: p.height).map(\.points) }
        func drifts(_ config: TEMRegistration.Config) -> [TEMPoint] {
            var reg = images[0].withUnsafeBufferPointer { TEMRegistration(reference: $0, width: p.width, height: p.height, lines: lines[0], config: config) }
            return (1..<frames).map { f in images[f].withUnsafeBufferPointer { reg.drift($0, lines: lines[f]) } }
        }
        let half = drifts(TEMRegistration.Config.named("half")!), full = drifts(TEMRegistration.Config())
        let errors = (1..<frames).map { TEMPolyline.norm(half[$0 - 1] - s.stage.drift[$0]) }
        XCTAssertLessThan(errors.sorted()[errors.count / 2], 1.0, "\(errors)")
        XCTAssertLessThan(errors.max()!, 3, "\(errors)")
        XCTAssertNotEqual(half, full, "the half-size drifts are the half-resolution fit's, not the full one's")
        let estimator = { (halfSize: Bool) in images[0].withUnsafeBufferPointer { TEMDriftEstimator(reference: $0, width: p.width, height: p.height, halfSize: halfSize) } }
        XCTAssertEqual(estimator(true).n, 64)
        XCTAssertEqual(estimator(true).bin, 4)
        XCTAssertEqual(estimator(false).n, 128)
    }

    /// The refinement reads the reference's gradients only, so the frames' grids (full and half
    /// resolution) are made without them, and with `halfSize` the full-resolution reference too
    /// (tem-speed-33): the same drifts, bit for bit, as the plain twin that computes them all —
    /// default and `half`, on a drifting video (512²) and on frames too small to halve (44²: the
    /// fit at full resolution, from the reference's gradients); and a grid made without them
    /// gains the same ones.
    func testSkippingTheUnreadGradientsKeepsEveryDrift() {
        for (size, frames) in [(512, 10), (44, 8)] {
            var p = TEMSynthParams.randomized(.medium, seed: 3, frames: frames)
            p.width = size
            p.height = size
            p.nuisance!.driftVelocity = TEMPoint(1.7, -0.9)
            p.nuisance!.jitter = 1
            p.nuisance!.driftBound = 20
            let s = TEMSynthesizer(params: p)
            var detector = TEMDetector(config: .video)
            let images = (0..<frames).map { s.frame($0) }
            let lines = images.map { detector.detect($0, width: size, height: size).map(\.points) }
            for name in ["masked", "half"] {
                func drifts(plain: Bool) -> [TEMPoint] {
                    var reg = images[0].withUnsafeBufferPointer {
                        TEMRegistration(reference: $0, width: size, height: size, lines: lines[0], config: .named(name)!,
                                        computesUnreadGradients: plain)
                    }
                    return (1..<frames).map { f in images[f].withUnsafeBufferPointer { reg.drift($0, lines: lines[f]) } }
                }
                let skipped = drifts(plain: false), plain = drifts(plain: true)
                XCTAssertEqual(skipped.map { [$0.x.bitPattern, $0.y.bitPattern] }, plain.map { [$0.x.bitPattern, $0.y.bitPattern] },
                               "\(name), \(size)²")
                XCTAssertGreaterThan(plain.filter { $0 != .zero }.count, (frames - 1) / 2, "\(name), \(size)²: a drifting stage, not zeros")
            }
            var bare = images[1].withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: size, height: size, gradients: false) }
            let full = images[1].withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: size, height: size) }
            XCTAssertTrue(bare.gx.isEmpty && bare.gy.isEmpty)
            bare.addGradients()
            XCTAssertEqual(bare.gx, full.gx)
            XCTAssertEqual(bare.gy, full.gy)
            XCTAssertEqual(bare.values, full.values)
        }
    }
}
