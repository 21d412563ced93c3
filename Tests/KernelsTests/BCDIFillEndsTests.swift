import Kernels
import XCTest

/// `BCDIFillEnds` on hand-built lines: a straight line along x whose last points turn aside in
/// the filled voxels (the bend the twelfth session measured), against what each mode must give.
final class BCDIFillEndsTests: XCTestCase {
    let shape = BCDIShape(nz: 9, ny: 9, nx: 24)

    /// Voxels x ≥ `from` (every y, z) marked as the fill's.
    func fill(from: Int) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: shape.count)
        for z in 0..<shape.nz { for y in 0..<shape.ny { for x in from..<shape.nx { f[shape.index(x: x, y: y, z: z)] = 1 } } }
        return f
    }

    /// x = 2…16 on y = z = 4, then three points turning in y by 0.6, 1.2, 1.8 voxels.
    var bent: [SIMD3<Double>] {
        (2...16).map { SIMD3(Double($0), 4, 4) } + [SIMD3(17, 4.6, 4), SIMD3(17.8, 5.2, 4), SIMD3(18.4, 5.8, 4)]
    }

    func testRayPutsTheEndOnTheLine() {
        let out = BCDIFillEnds.apply(bent, mode: .ray, filled: fill(from: 16), shape: shape, span: 4)
        // Inside (x ≤ 15) unchanged; the end's points on y = 4 at their own distance along x.
        XCTAssertEqual(Array(out.prefix(14)), Array(bent.prefix(14)))
        XCTAssertEqual(out.count, bent.count)
        for (p, q) in zip(out.suffix(4), bent.suffix(4)) {
            XCTAssertEqual(p.y, 4, accuracy: 1e-12)
            XCTAssertEqual(p.z, 4, accuracy: 1e-12)
            XCTAssertEqual(p.x, q.x, accuracy: 1e-12)
        }
    }

    func testClipEndsWhereTheFillBegins() {
        let out = BCDIFillEnds.apply(bent, mode: .clip, filled: fill(from: 16), shape: shape, span: 4)
        XCTAssertEqual(out, Array(bent.prefix(14)))
    }

    /// A point that falls back along the ray adds nothing; no fill, or a line all in the fill,
    /// leaves the line as it is; the start is treated as the end is.
    func testAwkwardCases() {
        let back = bent.prefix(15) + [SIMD3(15.5, 5, 4), SIMD3(17, 4, 4)]
        let out = BCDIFillEnds.apply(Array(back), mode: .ray, filled: fill(from: 15), shape: shape, span: 4)
        XCTAssertEqual(out.last!, SIMD3(17, 4, 4))
        XCTAssertEqual(out.count, 16, "the point that steps back along the ray is dropped")
        XCTAssertEqual(BCDIFillEnds.apply(bent, mode: .ray, filled: fill(from: shape.nx), shape: shape, span: 4), bent)
        XCTAssertEqual(BCDIFillEnds.apply(bent, mode: .ray, filled: fill(from: 0), shape: shape, span: 4), bent)
        XCTAssertEqual(BCDIFillEnds.apply(bent, mode: .off, filled: fill(from: 16), shape: shape, span: 4), bent)
        let reversed = BCDIFillEnds.apply(bent.reversed(), mode: .ray, filled: fill(from: 16), shape: shape, span: 4)
        XCTAssertEqual(reversed.reversed(), BCDIFillEnds.apply(bent, mode: .ray, filled: fill(from: 16), shape: shape, span: 4))
    }
}
