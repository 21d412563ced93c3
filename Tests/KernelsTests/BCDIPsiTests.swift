import XCTest
@testable import Kernels

final class BCDIPsiTests: XCTestCase {
    /// Random phases in [−4π, 4π] and a random support with the given density.
    private func randomVolume(_ shape: BCDIShape, density: Double, seed: UInt64) -> ([Float], [UInt8]) {
        var rng = SeededRandom(seed: seed)
        let phase = (0..<shape.count).map { _ in Float(rng.uniform(-4 * .pi...4 * .pi)) }
        let support = (0..<shape.count).map { _ in UInt8(rng.unit() < density ? 1 : 0) }
        return (phase, support)
    }

    /// Smooth phase (slowly varying, wrapped across 0) so that the fast paths are exercised.
    private func smoothVolume(_ shape: BCDIShape, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let g = (0..<3).map { _ in Float(rng.uniform(-0.4...0.4)) }
        let c = Float(rng.uniform(-3...3))
        return (0..<shape.count).map { i in
            let (x, y, z) = shape.coordinates(of: i)
            return c + g[0] * Float(x) + g[1] * Float(y) + g[2] * Float(z) + Float(rng.uniform(-0.3...0.3))
        }
    }

    private func assertIdentical(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let bad = zip(a, b).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
        XCTAssertNil(bad, "\(message): first difference at \(bad.map { "\($0.offset): \($0.element)" } ?? "")", file: file, line: line)
    }

    func testMatchesReferenceOnRandomAndAwkwardShapes() {
        let shapes = [
            BCDIShape(nz: 7, ny: 13, nx: 5), BCDIShape(nz: 1, ny: 1, nx: 1), BCDIShape(nz: 1, ny: 9, nx: 17),
            BCDIShape(nz: 5, ny: 1, nx: 23), BCDIShape(nz: 9, ny: 8, nx: 33), BCDIShape(nz: 3, ny: 4, nx: 8),
        ]
        for (k, shape) in shapes.enumerated() {
            for density in [0.0, 0.3, 0.9, 1.0] {
                for alpha in [0, 1, 2] {
                    let (rp, s) = randomVolume(shape, density: density, seed: UInt64(k * 31 + 7))
                    let sp = smoothVolume(shape, seed: UInt64(k))
                    for p in [rp, sp] {
                        let fast = BCDIPsi.compute(phase: p, support: s, shape: shape, alpha: alpha)
                        let ref = BCDIPsiReference.compute(phase: p, support: s, shape: shape, alpha: alpha)
                        assertIdentical(fast, ref, "\(shape) density \(density) α \(alpha)")
                    }
                }
            }
        }
    }

    func testMaskedAndDegenerateVoxelsAreZero() {
        let shape = BCDIShape(nz: 4, ny: 5, nx: 6)
        let (p, _) = randomVolume(shape, density: 1, seed: 3)
        XCTAssertEqual(BCDIPsi.compute(phase: p, support: [UInt8](repeating: 0, count: shape.count), shape: shape), [Float](repeating: 0, count: shape.count))
        // An isolated unmasked voxel has one phase: Ψ = 0; a constant phase too.
        var lone = [UInt8](repeating: 0, count: shape.count)
        lone[shape.index(x: 3, y: 2, z: 1)] = 1
        XCTAssertEqual(BCDIPsi.compute(phase: p, support: lone, shape: shape).max(), 0)
        let flat = [Float](repeating: 1.25, count: shape.count)
        XCTAssertEqual(BCDIPsi.compute(phase: flat, support: [UInt8](repeating: 1, count: shape.count), shape: shape).max(), 0)
    }

    func testIdealVortexGivesFourPointSevenOne() {
        // A screw-like vortex along z with its core between voxels: the four voxels around the
        // core see phases spread over 3/4 of the circle.
        let shape = BCDIShape(nz: 6, ny: 12, nx: 12)
        let phase = (0..<shape.count).map { i -> Float in
            let (x, y, _) = shape.coordinates(of: i)
            return Float(atan2(Double(y) - 5.5, Double(x) - 5.5))
        }
        let s = [UInt8](repeating: 1, count: shape.count)
        let psi = BCDIPsi.compute(phase: phase, support: s, shape: shape)
        for z in 0..<shape.nz {
            for (x, y) in [(5, 5), (6, 5), (5, 6), (6, 6)] {
                XCTAssertEqual(psi[shape.index(x: x, y: y, z: z)], 1.5 * .pi, accuracy: 0.05)
            }
        }
        XCTAssertGreaterThan(psi.max()!, 4)
        // Away from the core Ψ is small.
        XCTAssertLessThan(psi[shape.index(x: 1, y: 1, z: 3)], 1.5)
    }

    func testLinearRampGivesSixG() {
        let shape = BCDIShape(nz: 8, ny: 8, nx: 8)
        for g in [0.1, 0.3, 0.5] {
            let phase = (0..<shape.count).map { i -> Float in
                let (x, y, z) = shape.coordinates(of: i)
                return Float(g * Double(x + y + z) - 2)
            }
            let psi = BCDIPsi.compute(phase: phase, support: [UInt8](repeating: 1, count: shape.count), shape: shape)
            XCTAssertEqual(Double(psi[shape.index(x: 4, y: 4, z: 4)]), 6 * g, accuracy: 1e-4, "g = \(g)")
        }
    }

    func testShardedEqualsUnsharded() {
        let shape = BCDIShape(nz: 23, ny: 11, nx: 19)
        var (p, s) = randomVolume(shape, density: 0.8, seed: 11)
        let smooth = smoothVolume(shape, seed: 5)
        for i in 0..<shape.count where i % 13 != 0 { p[i] = smooth[i] }  // mostly smooth, some noise
        for alpha in [1, 2] {
            let whole = BCDIPsi.compute(phase: p, support: s, shape: shape, alpha: alpha)
            for depth in alpha == 1 ? [1, 4, 7, 23] : [5] {
                var stitched: [Float] = []
                for slab in BCDISlab.plan(nz: shape.nz, depth: depth, alpha: alpha) {
                    let a = slab.read.lowerBound * shape.planeCount, b = slab.read.upperBound * shape.planeCount
                    let sub = BCDIShape(nz: slab.read.count, ny: shape.ny, nx: shape.nx)
                    stitched += BCDIPsi.compute(phase: Array(p[a..<b]), support: Array(s[a..<b]), shape: sub, alpha: alpha, zRange: slab.localOutput)
                }
                assertIdentical(stitched, whole, "depth \(depth) α \(alpha)")
            }
            let parallel = BCDIPsi.computeParallel(phase: p, support: s, shape: shape, alpha: alpha, threads: 2)
            assertIdentical(parallel, whole, "parallel α \(alpha)")
        }
        s[0] = 0
    }

    /// A slab whose own planes hold no crystal while its halo planes do (the support box lies
    /// entirely in the halo) computes zeros rather than trapping.
    func testSlabWithCrystalOnlyInItsHalo() {
        let shape = BCDIShape(nz: 9, ny: 6, nx: 7)
        let (p, _) = randomVolume(shape, density: 1, seed: 3)
        var s = [UInt8](repeating: 0, count: shape.count)
        for i in (2 * shape.planeCount)..<(3 * shape.planeCount) { s[i] = 1 }  // only plane 2
        let whole = BCDIPsi.compute(phase: p, support: s, shape: shape, alpha: 2)
        for z in [0, 1, 3, 4] {
            let out = BCDIPsi.compute(phase: p, support: s, shape: shape, alpha: 2, zRange: z..<(z + 1))
            assertIdentical(out, Array(whole[(z * shape.planeCount)..<((z + 1) * shape.planeCount)]), "plane \(z)")
        }
    }

    func testWrapIsInRange() {
        var rng = SeededRandom(seed: 9)
        var values: [Float] = [0, -0, 1e-9, -1e-9, .pi, -.pi, 2 * .pi, -2 * .pi, 6.2831855, -6.2831855, 1e6, -1e6, 3e7]
        values += (0..<200).map { _ in Float(rng.uniform(-50...50)) }
        for v in values {
            let w = PhaseWrap.wrap(v)
            XCTAssert(w >= 0 && w < PhaseWrap.twoPi, "\(v) → \(w)")
            if abs(v) < 100 { XCTAssertEqual(cos(Double(w)), cos(Double(v)), accuracy: 1e-4, "\(v)") }
        }
    }
}
