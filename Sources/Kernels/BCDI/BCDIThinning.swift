/// Topology-preserving 3D thinning of a binary voxel set to a one-voxel-wide skeleton.
///
/// Directional sequential thinning in the manner of Lee, Kashyap & Chu (1994): six
/// sub-iterations (±x, ±y, ±z) each delete the border voxels open in that direction that are
/// simple points (Bertrand–Malandain topological numbers: one 26-component of object and one
/// 6-component of background in the neighbourhood) and not line ends, re-checking each before
/// deletion, and never deleting two neighbours in one sub-iteration. Candidates are visited in
/// ascending `priority` (Ψ), so the skeleton keeps the strongest core voxels.
public enum BCDIThinning {
    /// Thins `grid` (1 = object; shape `shape`, assumed padded with background) in place.
    public static func thin(_ grid: inout [UInt8], shape: BCDIShape, priority: [Float]) {
        let dirs = [(0, 0, 1), (0, 0, -1), (0, 1, 0), (0, -1, 0), (1, 0, 0), (-1, 0, 0)]
        var changed = true
        while changed {
            changed = false
            for (dx, dy, dz) in dirs {
                var candidates: [Int] = []
                for i in 0..<shape.count where grid[i] != 0 {
                    let (x, y, z) = shape.coordinates(of: i)
                    let nx = x + dx, ny = y + dy, nz = z + dz
                    let open = !shape.contains(x: nx, y: ny, z: nz) || grid[shape.index(x: nx, y: ny, z: nz)] == 0
                    if open { candidates.append(i) }
                }
                candidates.sort { (priority[$0], $0) < (priority[$1], $1) }
                // No two neighbours go in one sub-iteration: otherwise the sequential pass
                // marches along a two-voxel-wide ribbon from its tip and eats the whole line.
                var blocked = Set<Int>()
                for i in candidates where !blocked.contains(i) {
                    let n = neighbourhood(grid, shape: shape, at: i)
                    if n.nonzeroBitCount > 1 && isSimple(n) {
                        grid[i] = 0
                        changed = true
                        let (x, y, z) = shape.coordinates(of: i)
                        for k in 0..<27 where n & (1 << UInt32(k)) != 0 {
                            blocked.insert(shape.index(x: x + k % 3 - 1, y: y + (k / 3) % 3 - 1, z: z + k / 9 - 1))
                        }
                    }
                }
            }
        }
    }

    /// Bit k set when the neighbour at offset k (= (dz+1)·9 + (dy+1)·3 + (dx+1), centre 13
    /// excluded) is object.
    static func neighbourhood(_ grid: [UInt8], shape: BCDIShape, at i: Int) -> UInt32 {
        let (x, y, z) = shape.coordinates(of: i)
        var bits: UInt32 = 0
        for k in 0..<27 where k != 13 {
            let xx = x + k % 3 - 1, yy = y + (k / 3) % 3 - 1, zz = z + k / 9 - 1
            if shape.contains(x: xx, y: yy, z: zz) && grid[shape.index(x: xx, y: yy, z: zz)] != 0 {
                bits |= 1 << UInt32(k)
            }
        }
        return bits
    }

    /// Offsets of the 26 neighbours within the cube, and the face (6-)neighbours, per position.
    static let tables: (adj26: [[Int]], adj6: [[Int]], n18: UInt32) = {
        var a26 = [[Int]](repeating: [], count: 27), a6 = a26
        var n18: UInt32 = 0
        for k in 0..<27 where k != 13 {
            let p = (k % 3, (k / 3) % 3, k / 9)
            if abs(p.0 - 1) + abs(p.1 - 1) + abs(p.2 - 1) <= 2 { n18 |= 1 << UInt32(k) }
            for j in 0..<27 where j != 13 && j != k {
                let q = (j % 3, (j / 3) % 3, j / 9)
                let d = (abs(p.0 - q.0), abs(p.1 - q.1), abs(p.2 - q.2))
                if max(d.0, d.1, d.2) == 1 { a26[k].append(j) }
                if d.0 + d.1 + d.2 == 1 { a6[k].append(j) }
            }
        }
        return (a26, a6, n18)
    }()

    /// True when deleting the centre changes no topology (26-object / 6-background).
    static func isSimple(_ n: UInt32) -> Bool {
        let t = tables
        // One 26-connected component of object among the 26 neighbours.
        guard n != 0 else { return false }
        let first = n.trailingZeroBitCount
        if components(of: n, from: first, adjacency: t.adj26) != n { return false }
        // One 6-connected component of background within N18 touching a face neighbour.
        let background = ~n & t.n18 & ~(1 << 13)
        var seenBackground: UInt32 = 0
        var count = 0
        for f in [4, 10, 12, 14, 16, 22] where background & (1 << UInt32(f)) != 0 && seenBackground & (1 << UInt32(f)) == 0 {
            seenBackground |= components(of: background, from: f, adjacency: t.adj6)
            count += 1
            if count > 1 { return false }
        }
        return count == 1
    }

    /// The bits of `set` connected to `start` under `adjacency`.
    static func components(of set: UInt32, from start: Int, adjacency: [[Int]]) -> UInt32 {
        var reached: UInt32 = 1 << UInt32(start)
        var stack = [start]
        while let k = stack.popLast() {
            for j in adjacency[k] where set & (1 << UInt32(j)) != 0 && reached & (1 << UInt32(j)) == 0 {
                reached |= 1 << UInt32(j)
                stack.append(j)
            }
        }
        return reached
    }
}
