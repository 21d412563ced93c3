import Kernels
import XCTest

/// The body's notches where vortex lines leave it, filled from its convex hull
/// (`BCDIBodyNotches`).
final class BCDIBodyNotchesTests: XCTestCase {
    let shape = BCDIShape(nz: 17, ny: 23, nx: 29)

    func membership(_ set: [UInt8]) -> [Bool] {
        BCDIBodyNotches.hull(set, shape: shape, testing: Array(0..<shape.count))
    }

    func carve(_ set: inout [UInt8], x: Range<Int>, y: Range<Int>, z: Range<Int>) {
        for k in z { for j in y { for i in x { set[shape.index(x: i, y: j, z: k)] = 0 } } }
    }

    /// A box and an octahedron whose vertices are voxels, notched from a face and holed
    /// inside: their hull is the whole box / octahedron, voxel for voxel (a naive
    /// per-voxel reference), on an array of odd, unequal sides.
    func testHullOfPolyhedraIsExact() {
        var box = [UInt8](repeating: 0, count: shape.count)
        for z in 2..<11 { for y in 5..<14 { for x in 3..<20 { box[shape.index(x: x, y: y, z: z)] = 1 } } }
        var notched = box
        carve(&notched, x: 8..<11, y: 5..<8, z: 2..<4)     // a notch at the corner of two faces
        carve(&notched, x: 12..<14, y: 9..<11, z: 5..<7)   // a hole inside
        XCTAssertEqual(membership(notched), box.map { $0 != 0 })

        let c = SIMD3(14, 11, 8), r = 7
        var octahedron = [UInt8](repeating: 0, count: shape.count)
        for z in 0..<shape.nz { for y in 0..<shape.ny { for x in 0..<shape.nx
            where abs(x - c.x) + abs(y - c.y) + abs(z - c.z) <= r { octahedron[shape.index(x: x, y: y, z: z)] = 1 } } }
        var dented = octahedron
        carve(&dented, x: 15..<18, y: 12..<14, z: 10..<13)  // into a face, its vertices kept
        carve(&dented, x: 17..<20, y: 10..<12, z: 8..<10)   // along the +x vertex's edge
        XCTAssertEqual(membership(dented), octahedron.map { $0 != 0 })
    }

    /// A ball clipped by the array's border (x = 0), notched at its +x pole: the hull holds
    /// every voxel of the set, spans the notch (its voxels 1.5 voxels inside the ball's
    /// radius, where the ring around the notch reaches) and holds nothing more than a voxel
    /// outside the ball.
    func testHullOfClippedBallIsTight() {
        let c = SIMD3(4.0, 11.0, 8.0), r = 9.0
        var ball = [UInt8](repeating: 0, count: shape.count)
        func distance(_ x: Int, _ y: Int, _ z: Int) -> Double {
            let d = SIMD3(Double(x), Double(y), Double(z)) - c
            return (d * d).sum().squareRoot()
        }
        for z in 0..<shape.nz { for y in 0..<shape.ny { for x in 0..<shape.nx where distance(x, y, z) <= r {
            ball[shape.index(x: x, y: y, z: z)] = 1 } } }
        var notched = ball
        carve(&notched, x: 10..<14, y: 9..<13, z: 6..<10)
        let inHull = membership(notched)
        for z in 0..<shape.nz { for y in 0..<shape.ny { for x in 0..<shape.nx {
            let i = shape.index(x: x, y: y, z: z)
            if notched[i] != 0 || (ball[i] != 0 && distance(x, y, z) <= r - 1.5) {
                XCTAssertTrue(inHull[i], "voxel \(x),\(y),\(z) at \(distance(x, y, z)) left out")
            }
            if distance(x, y, z) > r + 1 { XCTAssertFalse(inHull[i], "voxel \(x),\(y),\(z) at \(distance(x, y, z)) taken in") }
        } } }
        XCTAssertFalse(BCDIBodyNotches.hull([UInt8](repeating: 0, count: shape.count), shape: shape, testing: [0, 5]).contains(true),
                       "an empty set has an empty hull")
    }

    /// `blur` seed 99 draw 3 (σ = 2, four straight lines): the half-level body misses the
    /// crystal's outermost layer where the lines leave it; the filled body holds it there, and
    /// adds nothing more than a voxel outside the true crystal.
    func testFilledBodyReachesTheLineEnds() {
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(99, 3), ranges: BCDIRandomRanges.preset("blur")!)
        let v = BCDISynthetic.make(draw.spec)
        let s = v.shape
        let body = BCDIBlurDirectFit.body(re: v.re, im: v.im, shape: s)!
        let filled = BCDIBodyNotches.filled(body: body, re: v.re, im: v.im, shape: s, reach: 7)
        let outer = zip(v.support, BCDISupport.erode(v.support, shape: s, radius: 1)).map { $0 != 0 && $1 == 0 }
        // Outermost-layer voxels within 2 voxels of a true line point.
        var ends = Set<Int>()
        for line in v.truth {
            for p in line {
                let x0 = Int(p.x.rounded()), y0 = Int(p.y.rounded()), z0 = Int(p.z.rounded())
                for z in max(0, z0 - 2)...min(s.nz - 1, z0 + 2) { for y in max(0, y0 - 2)...min(s.ny - 1, y0 + 2) {
                    for x in max(0, x0 - 2)...min(s.nx - 1, x0 + 2) where outer[s.index(x: x, y: y, z: z)] {
                        ends.insert(s.index(x: x, y: y, z: z)) } } }
            }
        }
        let inBody = ends.filter { body[$0] != 0 }.count, inFilled = ends.filter { filled[$0] != 0 }.count
        print("line-end outer voxels \(ends.count): body \(inBody), filled \(inFilled)")
        XCTAssertGreaterThan(ends.count, 50)
        XCTAssertGreaterThanOrEqual(Double(inFilled), 0.95 * Double(ends.count), draw.summary)
        XCTAssertLessThan(Double(inBody), Double(inFilled) - 0.1 * Double(ends.count), "the case this test pins: \(draw.summary)")
        let near = BCDISupport.dilate(v.support, shape: s, radius: 1)
        let added = (0..<s.count).filter { filled[$0] != 0 && body[$0] == 0 }
        let beyond = added.filter { near[$0] == 0 }.count
        print("added \(added.count), beyond a voxel outside the crystal \(beyond), body beyond \((0..<s.count).filter { body[$0] != 0 && near[$0] == 0 }.count)")
        let far = BCDISupport.dilate(v.support, shape: s, radius: 2)
        XCTAssertLessThan(Double(beyond), 0.05 * Double(added.count), "filled beyond the crystal")
        XCTAssertFalse(added.contains { far[$0] == 0 }, "filled two voxels beyond the crystal")
        XCTAssertFalse((0..<s.count).contains { body[$0] != 0 && filled[$0] == 0 }, "the body is kept")
    }
}
