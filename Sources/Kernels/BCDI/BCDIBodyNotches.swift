#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The crystal's body with the notches that its vortex lines cut into it filled.
///
/// The half-level set of a blurred amplitude (`BCDIBlurDirectFit.body`) is the sharp surface
/// wherever the amplitude is the body's own. Where a dislocation line leaves the crystal it is
/// not: the blurred vortex is an amplitude hole of radius ≈ σ, and at the surface it drops the
/// amplitude below half the level, so the half-level set is notched up to ≈ σ deep exactly where
/// the line ends (issue 12, ninth session: the missed true points at σ = 2 are nearly all in the
/// crystal's outermost voxel layer, outside that set). Near a vortex the amplitude tells nothing
/// about the surface; there the surface is taken from the body's convex hull instead — the
/// crystal a reconstruction images is convex or nearly (facets cut it, they do not dent it), and
/// a hull only spans the notch, it does not move a surface the amplitude does state. Everywhere
/// else the half-level set stands as it is, so a crystal that is not convex keeps its shape away
/// from its lines.
public enum BCDIBodyNotches {
    /// `body` plus the voxels of its convex hull (`hull`) that lie within `reach` voxels
    /// (Chebyshev) of a vortex line: a plaquette residue of the field smoothed over a voxel,
    /// inside `body` eroded by one voxel (the same residues `BCDIBlurDirectFit` leaves out of its
    /// fit). `reach` should cover the blurred vortex's amplitude hole: 3σ + 1 for a blur σ.
    public static func filled(body: [UInt8], re: [Float], im: [Float], shape: BCDIShape, reach: Int) -> [UInt8] {
        precondition(body.count == shape.count && re.count == shape.count && im.count == shape.count,
                     "buffers do not match shape \(shape)")
        let n = shape.count
        guard reach > 0, let near = nearLines(re: re, im: im, inside: BCDISupport.erode(body, shape: shape, radius: 1),
                                              shape: shape, reach: reach) else { return body }
        var candidates = [Int]()
        for i in 0..<n where near[i] != 0 && body[i] == 0 { candidates.append(i) }
        guard !candidates.isEmpty else { return body }
        let inHull = hull(body, shape: shape, testing: candidates)
        var out = body
        for (k, i) in candidates.enumerated() where inHull[k] { out[i] = 1 }
        return out
    }

    /// `body` plus the voxels of its convex hull within `within` that lie within `reach` voxels
    /// (Chebyshev) of a residue where a vortex line's chain runs on out of `body`: a plaquette
    /// residue of the field smoothed over a voxel that lies in `within` but not inside `body`
    /// eroded by one, reached from a residue inside it through residues a face apart (centres
    /// ≤ 1 voxel apart: the two faces a line crosses in a cube). A line that only passes near the
    /// surface inside `body` has no such residue, nor has an isolated vortex of the outer layer
    /// (a noise pair, a ramp's surface vortex): the fill is put only where a line's end was cut.
    public static func filledAlongChains(body: [UInt8], within: [UInt8], re: [Float], im: [Float], shape: BCDIShape,
                                         reach: Int) -> [UInt8] {
        precondition(body.count == shape.count && within.count == shape.count && re.count == shape.count
                     && im.count == shape.count, "buffers do not match shape \(shape)")
        let n = shape.count
        guard reach > 0 else { return body }
        let phase = smoothedPhase(re: re, im: im, shape: shape)
        let inner = Set(BCDIWinding.residues(phase: phase, support: BCDISupport.erode(body, shape: shape, radius: 1), shape: shape))
        guard !inner.isEmpty else { return body }
        var region = within
        for i in 0..<n where body[i] != 0 { region[i] = 1 }
        let outer = BCDIWinding.residues(phase: phase, support: region, shape: shape).filter { !inner.contains($0) }
        guard !outer.isEmpty else { return body }
        // Centres on the doubled grid are integers; faces a line crosses in one cube are ≤ 2 apart there.
        func key(_ c: SIMD3<Double>) -> SIMD3<Int> { SIMD3(Int((2 * c.x).rounded()), Int((2 * c.y).rounded()), Int((2 * c.z).rounded())) }
        var outerAt = [SIMD3<Int>: Int]()
        for (k, r) in outer.enumerated() { outerAt[key(r.center)] = k }
        var reached = [Bool](repeating: false, count: outer.count)
        var queue = [Int]()
        func visit(_ c: SIMD3<Double>) {
            let p = key(c)
            for dz in -2...2 { for dy in -2...2 { for dx in -2...2 where dx * dx + dy * dy + dz * dz <= 4 {
                if let k = outerAt[p &+ SIMD3(dx, dy, dz)], !reached[k] { reached[k] = true; queue.append(k) }
            } } }
        }
        for r in inner { visit(r.center) }
        var head = 0
        while head < queue.count { visit(outer[queue[head]].center); head += 1 }
        guard !queue.isEmpty else { return body }
        var ends = [UInt8](repeating: 0, count: n)
        for k in queue {
            let c = outer[k].center
            let x = Int(c.x.rounded()), y = Int(c.y.rounded()), z = Int(c.z.rounded())
            guard x >= 0, x < shape.nx, y >= 0, y < shape.ny, z >= 0, z < shape.nz else { continue }
            ends[shape.index(x: x, y: y, z: z)] = 1
        }
        let near = BCDISupport.dilate(ends, shape: shape, radius: reach)
        var candidates = [Int]()
        for i in 0..<n where near[i] != 0 && body[i] == 0 && within[i] != 0 { candidates.append(i) }
        guard !candidates.isEmpty else { return body }
        let inHull = hull(body, shape: shape, testing: candidates)
        var out = body
        for (k, i) in candidates.enumerated() where inHull[k] { out[i] = 1 }
        return out
    }

    /// The phase of the field smoothed over a voxel (a Gaussian of width 1 over the whole array).
    static func smoothedPhase(re: [Float], im: [Float], shape: BCDIShape) -> [Float] {
        let n = shape.count
        let smoothed = BCDIComplexSmoothing.smooth(re: re, im: im, support: [UInt8](repeating: 1, count: n), shape: shape, sigma: 1)
        var phase = [Float](repeating: 0, count: n)
        for i in 0..<n { phase[i] = atan2(smoothed.im[i], smoothed.re[i]) }
        return phase
    }

    /// The voxels within `reach` voxels (Chebyshev) of a vortex line found inside `inside`: a
    /// plaquette residue of the field smoothed over a voxel (a Gaussian of width 1 over the whole
    /// array, which takes the per-voxel noise pairs away and keeps a line's isolated zero), all
    /// four corners in `inside`. Nil when there is no residue.
    public static func nearLines(re: [Float], im: [Float], inside: [UInt8], shape: BCDIShape, reach: Int) -> [UInt8]? {
        precondition(inside.count == shape.count && re.count == shape.count && im.count == shape.count,
                     "buffers do not match shape \(shape)")
        let n = shape.count
        let ones = [UInt8](repeating: 1, count: n)
        let smoothed = BCDIComplexSmoothing.smooth(re: re, im: im, support: ones, shape: shape, sigma: 1)
        var phase = [Float](repeating: 0, count: n)
        for i in 0..<n { phase[i] = atan2(smoothed.im[i], smoothed.re[i]) }
        let residues = BCDIWinding.residues(phase: phase, support: inside, shape: shape)
        guard !residues.isEmpty else { return nil }
        var near = [UInt8](repeating: 0, count: n)
        for r in residues {
            let x = Int(r.center.x.rounded()), y = Int(r.center.y.rounded()), z = Int(r.center.z.rounded())
            guard x >= 0, x < shape.nx, y >= 0, y < shape.ny, z >= 0, z < shape.nz else { continue }
            near[shape.index(x: x, y: y, z: z)] = 1
        }
        return reach > 0 ? BCDISupport.dilate(near, shape: shape, radius: reach) : near
    }

    /// Whether each voxel of `testing` lies in the convex hull of the voxel centres of `set`.
    /// The hull is the intersection of the supporting half-spaces along `count` unit vectors
    /// spread evenly over the sphere (a Fibonacci lattice) and the 26 lattice directions (so a
    /// face normal to an axis, a face diagonal or a body diagonal is met exactly): with 256 the
    /// polytope exceeds the true hull of a sphere of radius R by ≈ R·θ²/8 with θ ≈ 0.22 rad,
    /// 0.12 voxel at R = 20 — below a voxel for any crystal that fits a BCDI array. It never
    /// leaves out a voxel of the true hull.
    public static func hull(_ set: [UInt8], shape: BCDIShape, testing: [Int], directions count: Int = 256) -> [Bool] {
        precondition(set.count == shape.count, "buffers do not match shape \(shape)")
        var directions = fibonacciSphere(count)
        for dz in -1...1 { for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 || dz != 0 {
            let d = SIMD3(Double(dx), Double(dy), Double(dz))
            directions.append(d / (d * d).sum().squareRoot())
        } } }
        var extent = [Double](repeating: -.infinity, count: directions.count)
        // A hull's support values are reached on the set's boundary: voxels whose six
        // neighbours are all in the set (inside the array) are skipped.
        func interior(_ x: Int, _ y: Int, _ z: Int, _ i: Int) -> Bool {
            x > 0 && x < shape.nx - 1 && y > 0 && y < shape.ny - 1 && z > 0 && z < shape.nz - 1
                && set[i - 1] != 0 && set[i + 1] != 0 && set[i - shape.nx] != 0 && set[i + shape.nx] != 0
                && set[i - shape.planeCount] != 0 && set[i + shape.planeCount] != 0
        }
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                let row = shape.index(x: 0, y: y, z: z)
                for x in 0..<shape.nx where set[row + x] != 0 && !interior(x, y, z, row + x) {
                    let p = SIMD3(Double(x), Double(y), Double(z))
                    for k in directions.indices {
                        let h = (directions[k] * p).sum()
                        if h > extent[k] { extent[k] = h }
                    }
                }
            }
        }
        guard extent.allSatisfy({ $0.isFinite }) else { return [Bool](repeating: false, count: testing.count) }
        return testing.map { i in
            let x = i % shape.nx, y = (i / shape.nx) % shape.ny, z = i / shape.planeCount
            let p = SIMD3(Double(x), Double(y), Double(z))
            for k in directions.indices where (directions[k] * p).sum() > extent[k] + 1e-9 { return false }
            return true
        }
    }

    /// `count` unit vectors spread evenly over the sphere.
    static func fibonacciSphere(_ count: Int) -> [SIMD3<Double>] {
        let golden = Double.pi * (3 - 5.0.squareRoot())
        return (0..<count).map { k in
            let z = 1 - (2 * Double(k) + 1) / Double(count)
            let r = (1 - z * z).squareRoot()
            let a = golden * Double(k)
            return SIMD3(r * cos(a), r * sin(a), z)
        }
    }
}
