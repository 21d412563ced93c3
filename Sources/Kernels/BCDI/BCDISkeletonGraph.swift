/// A one-voxel-wide skeleton as a graph, traced into polylines split at branch points.
///
/// 26-adjacency makes tiny triangles where a skeleton turns diagonally (a voxel touching both
/// a face and an edge neighbour of the same voxel); the long edge of each such triangle is
/// dropped so that an unbranched line has degree 2 everywhere.
struct BCDISkeletonGraph {
    /// Voxel coordinates `[x, y, z]` of the nodes.
    var nodes: [SIMD3<Int>]
    var edges: [[Int]]

    init(voxels: [SIMD3<Int>]) {
        nodes = voxels
        var lookup: [SIMD3<Int>: Int] = [:]
        for (k, v) in voxels.enumerated() { lookup[v] = k }
        var adj = [[Int]](repeating: [], count: voxels.count)
        for (k, v) in voxels.enumerated() {
            for dz in -1...1 {
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 || dz != 0 {
                        if let j = lookup[v &+ SIMD3(dx, dy, dz)] { adj[k].append(j) }
                    }
                }
            }
        }
        func d2(_ a: Int, _ b: Int) -> Int {
            let e = voxels[a] &- voxels[b]
            return (e &* e).wrappedSum()
        }
        edges = adj.enumerated().map { k, list in
            list.filter { j in
                let long = d2(k, j)
                return !adj[k].contains { r in r != j && d2(k, r) < long && d2(r, j) < long && adj[j].contains(r) }
            }
        }
    }

    /// Removes dangling chains of fewer than `minLength` edges that end at a branch node.
    mutating func pruneSpurs(minLength: Int) {
        var alive = [Bool](repeating: true, count: nodes.count)
        for _ in 0..<2 {
            for start in nodes.indices where alive[start] && edges[start].count == 1 {
                var chain = [start]
                var prev = start, cur = edges[start][0]
                while edges[cur].count == 2 && chain.count <= minLength {
                    chain.append(cur)
                    let next = edges[cur][0] == prev ? edges[cur][1] : edges[cur][0]
                    prev = cur
                    cur = next
                }
                guard edges[cur].count >= 3 && chain.count < minLength else { continue }
                for k in chain { alive[k] = false }
                for k in chain { for j in edges[k] { edges[j].removeAll { $0 == k } }; edges[k] = [] }
            }
        }
    }

    /// Ordered voxel paths: from every end or branch node along unbranched nodes to the next
    /// end or branch node, then the remaining pure cycles (closed; first node not repeated).
    func trace() -> [(path: [Int], closed: Bool)] {
        var used = Set<Int64>()
        func key(_ a: Int, _ b: Int) -> Int64 { Int64(min(a, b)) << 32 | Int64(max(a, b)) }
        var out: [(path: [Int], closed: Bool)] = []
        for start in nodes.indices where edges[start].count != 2 {
            if edges[start].isEmpty { out.append(([start], false)); continue }
            for first in edges[start] where !used.contains(key(start, first)) {
                used.insert(key(start, first))
                var path = [start, first]
                var prev = start, cur = first
                while edges[cur].count == 2 {
                    let next = edges[cur][0] == prev ? edges[cur][1] : edges[cur][0]
                    if used.contains(key(cur, next)) { break }
                    used.insert(key(cur, next))
                    path.append(next)
                    prev = cur
                    cur = next
                }
                out.append((path, false))
            }
        }
        for start in nodes.indices where edges[start].count == 2 {
            guard let first = edges[start].first(where: { !used.contains(key(start, $0)) }) else { continue }
            used.insert(key(start, first))
            var path = [start]
            var prev = start, cur = first
            while cur != start && edges[cur].count == 2 {
                path.append(cur)
                let next = edges[cur][0] == prev ? edges[cur][1] : edges[cur][0]
                used.insert(key(cur, next))
                prev = cur
                cur = next
            }
            out.append((path, true))
        }
        return out
    }
}
