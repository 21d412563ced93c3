import XCTest
@testable import Kernels

/// The particle fit's look-elsewhere threshold (`particle_significance=auto`).
final class STEM4DParticleLookElsewhereTests: XCTestCase {
    func views(angleTan t: Double) -> [STEM4DParticleModelFit.View] {
        let image = STEM4DImage(rows: 4, cols: 4, pixels: [Float](repeating: 1, count: 16))
        return [(-t, 0), (t, 0), (0, -t), (0, t)].map { STEM4DParticleModelFit.View(image: image, tx: $0.0, ty: $0.1) }
    }

    /// Near 4.7 σ on a 64² scan at φ = 8° (the default search: radii 1.5–8, |z| ≤ 60), higher
    /// on a 256² scan, lower at φ = 2.5° (fewer depth cells), lower with more false alarms
    /// allowed; its one-sided normal tail (from erfc) is α over 10³–10⁷ trials.
    func testThresholdFollowsTheSearchSize() {
        func t(_ side: Int, _ tanPhi: Double, _ alpha: Double = 0.05) -> Double {
            STEM4DParticleModelFit.lookElsewhereSignificance(rows: side, cols: side, views: views(angleTan: tanPhi), radiusMin: 1.5,
                                                              radiusMax: 8, zMin: -60, zMax: 60, falseAlarms: alpha)
        }
        let base = t(64, tan(8 * Double.pi / 180))
        print("look-elsewhere: 64² φ 8° \(base), 256² \(t(256, tan(8 * Double.pi / 180))), φ 2.5° \(t(64, tan(2.5 * Double.pi / 180)))")
        XCTAssertEqual(base, 4.7, accuracy: 0.3)
        XCTAssertGreaterThan(t(256, tan(8 * Double.pi / 180)), base + 0.2)
        XCTAssertLessThan(t(64, tan(2.5 * Double.pi / 180)), base - 0.1)
        XCTAssertLessThan(t(64, tan(8 * Double.pi / 180), 1), base)
        let tail = 0.5 * erfc(base / 2.0.squareRoot())
        XCTAssertGreaterThan(tail, 1e-8); XCTAssertLessThan(tail, 1e-5)
    }
}
