/// Plaquette residues joined into chains: the phase singularity lines themselves.
///
/// A residue is a face of the voxel grid pierced by a singularity. The winding through the
/// six faces of a cell (the cube of eight voxels) sums to zero, so a line that enters a cell
/// through one residue face leaves it through another: the residues of one line form a chain
/// of face-adjacent cells, and two lines are two chains however close they run — even when
/// their Ψ > cutoff tubes (Ψ sees a (2α+1)³ box and a blurred amplitude dip) have merged into
/// one region. Chains end only where a cell has a corner outside the support.
public enum BCDIResidueChains {
    /// The two cells either side of a residue face, each as its lowest corner voxel `[x, y, z]`.
    public static func cells(of residue: BCDIResidue) -> (SIMD3<Int>, SIMD3<Int>) {
        let c = residue.center.rounded(.down)
        let upper = SIMD3(Int(c.x), Int(c.y), Int(c.z))
        var lower = upper
        lower[residue.axis] -= 1
        return (lower, upper)
    }

    /// The residues grouped into chains (indices into `residues`): two residues are in one
    /// chain when a path of residues sharing cells joins them.
    public static func chains(_ residues: [BCDIResidue]) -> [[Int]] {
        var parent = Array(0..<residues.count)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        var firstInCell: [SIMD3<Int>: Int] = [:]
        for (k, r) in residues.enumerated() {
            let (a, b) = cells(of: r)
            for cell in [a, b] {
                if let j = firstInCell[cell] {
                    let (ra, rb) = (root(j), root(k))
                    if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
                } else {
                    firstInCell[cell] = k
                }
            }
        }
        var groups: [Int: [Int]] = [:]
        for k in residues.indices { groups[root(k), default: []].append(k) }
        return groups.keys.sorted().map { groups[$0]! }
    }

    /// Largest distance (voxels) between two residue centres of a chain.
    public static func extent(_ chain: [Int], residues: [BCDIResidue]) -> Double {
        // The bounding-box diagonal bounds the extent from above and is exact enough to tell a
        // noise pair (a voxel or two) from a line; it is linear rather than quadratic in length.
        guard let first = chain.first else { return 0 }
        var lo = residues[first].center, hi = lo
        for k in chain {
            lo = pointwiseMin(lo, residues[k].center)
            hi = pointwiseMax(hi, residues[k].center)
        }
        return BCDIVec.length(hi - lo)
    }
}

extension BCDIResidueChains {
    /// One traced piece of a chain.
    struct Piece {
        var points: [SIMD3<Double>]
        /// The centres smoothed by their position noise (`BCDILineSmoothing`), when asked for;
        /// `points` (the 1-2-1 passes) still decide the noise-pair rules, which were set on them.
        var refined: [SIMD3<Double>]? = nil
        /// The traced cells (lowest corners), in order: what `refined` was smoothed from.
        var cells: [SIMD3<Int>] = []
        var closed: Bool
        /// Both ends are branch cells: a stretch of line between two places where a noise pair
        /// touches it, not a free piece (the noise-pair length rule does not apply).
        var inner: Bool
        /// The end cells have one residue face (the chain ends there, at the support's edge).
        var startIsEnd: Bool
        var endIsEnd: Bool
    }

    /// The polylines of one chain: its cells joined through their residue faces, traced
    /// between ends and branch cells (a noise pair riding on a line makes a small side loop),
    /// with spurs shorter than `spurLength` cells pruned. Points are cell centres, smoothed by
    /// `smoothing` passes of a 1-2-1 average: a residue locates the line to the cell it
    /// crosses, and the average of neighbouring cells to a fraction of a voxel. With
    /// `variance` (a cell's positional variance, `BCDILineSmoothing.residueNoise`) the centres
    /// are smoothed by `BCDILineSmoothing.smooth` instead, and `blur` > 0 undoes the blur's pull
    /// on the smoothed line (`BCDILineSmoothing.unshrink`); `rampPull` ≠ 0 undoes the ramp's
    /// sideways shift first, each piece oriented by its residues (`BCDIRampShift`); `wholeLoop`
    /// unshrinks a closed piece as a whole (`BCDILoopUnshrink`).
    static func pieces(_ chain: [Int], residues: [BCDIResidue], spurLength: Int, smoothing: Int,
                       variance: ((SIMD3<Int>) -> Double)? = nil, blur: Double = 0, rampPull: SIMD3<Double> = .zero,
                       wholeLoop: Bool = false) -> [Piece] {
        var index: [SIMD3<Int>: Int] = [:]
        var nodes: [SIMD3<Int>] = []
        var edges: [[Int]] = []
        func node(_ c: SIMD3<Int>) -> Int {
            if let k = index[c] { return k }
            index[c] = nodes.count
            nodes.append(c)
            edges.append([])
            return nodes.count - 1
        }
        for k in chain {
            let (a, b) = cells(of: residues[k])
            let (i, j) = (node(a), node(b))
            // A face of winding ±2 (two lines through one face) is still one adjacency.
            if !edges[i].contains(j) {
                edges[i].append(j)
                edges[j].append(i)
            }
        }
        var graph = BCDISkeletonGraph(nodes: nodes, edges: edges)
        graph.pruneSpurs(minLength: spurLength)
        let degree = graph.edges.map(\.count)
        // The chain's residues by face, for the pieces' senses (only when the ramp shift is undone).
        var winding: [SIMD4<Int>: Int] = [:]
        if (rampPull * rampPull).sum() > 0 {
            for k in chain {
                let (_, upper) = cells(of: residues[k])
                winding[BCDIRampShift.key(upperCell: upper, axis: residues[k].axis)] = residues[k].winding
            }
        }
        func piece(_ path: [Int], closed: Bool) -> Piece {
            var points = path.map { c -> SIMD3<Double> in
                let v = graph.nodes[c]
                return SIMD3(Double(v.x), Double(v.y), Double(v.z)) + 0.5
            }
            let sense = winding.isEmpty ? 0 : BCDIRampShift.sense(of: path.map { graph.nodes[$0] }, closed: closed, winding: winding)
            let refined = path.count < 5 ? nil
                : variance.map { v in BCDILineSmoothing.smooth(points, variance: path.map { v(graph.nodes[$0]) }, closed: closed, blur: blur,
                                                               rampPull: rampPull, sense: sense, wholeLoop: wholeLoop) }
            BCDILines.smooth(&points, closed: closed, passes: smoothing)
            let first = degree[path[0]], last = degree[path[path.count - 1]]
            return Piece(points: points, refined: refined, cells: path.map { graph.nodes[$0] }, closed: closed, inner: !closed && first >= 3 && last >= 3,
                         startIsEnd: !closed && first == 1, endIsEnd: !closed && last == 1)
        }
        var out: [Piece] = []
        let ends = graph.nodes.indices.filter { degree[$0] == 1 }
        if ends.count == 2, let path = graph.shortestPath(from: ends[0], to: ends[1]) {
            // One line from surface to surface, with noise pairs riding on it: the shortest
            // path between its ends is the line, whole; what is left (side loops of noise pairs)
            // is traced on its own and meets the noise-pair rules.
            out.append(piece(path, closed: false))
            for (a, b) in zip(path, path.dropFirst()) {
                graph.edges[a].removeAll { $0 == b }
                graph.edges[b].removeAll { $0 == a }
            }
            return out + graph.trace().compactMap { path, closed in
                guard path.count >= 2 else { return nil }
                var rest = piece(path, closed: closed)
                rest.inner = false
                return rest
            }
        }
        return graph.trace().compactMap { path, closed in path.count >= 2 ? piece(path, closed: closed) : nil }
    }
}

extension BCDISkeletonGraph {
    /// A graph with the given adjacency (each edge listed at both of its nodes).
    init(nodes: [SIMD3<Int>], edges: [[Int]]) {
        self.init(voxels: [])
        self.nodes = nodes
        self.edges = edges
    }

    /// The path with fewest edges from `start` to `goal` (breadth first), nil when none.
    func shortestPath(from start: Int, to goal: Int) -> [Int]? {
        var previous = [Int](repeating: -1, count: nodes.count)
        previous[start] = start
        var queue = [start], head = 0
        while head < queue.count {
            let a = queue[head]
            head += 1
            if a == goal { break }
            for b in edges[a] where previous[b] < 0 {
                previous[b] = a
                queue.append(b)
            }
        }
        guard previous[goal] >= 0 else { return nil }
        var path = [goal]
        while path[path.count - 1] != start { path.append(previous[path[path.count - 1]]) }
        return path.reversed()
    }
}
