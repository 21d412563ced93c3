/// Minimum-cost assignment (Hungarian method, Jonker–Volgenant potentials, O(n²m)).
///
/// Works on rectangular matrices: every row is assigned when rows ≤ columns, every column
/// otherwise. Entries that are not finite (`+infinity`) are never assigned, so
/// gating is simply "put infinity where the pair is impossible"; a row whose only options are
/// forbidden comes back unassigned.
public enum Hungarian {
    /// `cost` is row-major `rows × columns`. Returns, for every row, its column or nil.
    public static func solve(cost: [Double], rows: Int, columns: Int) -> [Int?] {
        precondition(cost.count == rows * columns, "cost must hold rows × columns entries")
        if rows == 0 || columns == 0 { return [Int?](repeating: nil, count: rows) }
        if rows > columns {
            var t = [Double](repeating: 0, count: rows * columns)
            for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = cost[r * columns + c] } }
            let colToRow = solve(cost: t, rows: columns, columns: rows)
            var out = [Int?](repeating: nil, count: rows)
            for (c, r) in colToRow.enumerated() { if let r { out[r] = c } }
            return out
        }
        // Replace forbidden entries by a large finite cost so the algorithm always completes,
        // then drop those assignments.
        var finiteMax = 0.0
        for v in cost where v.isFinite { finiteMax = max(finiteMax, abs(v)) }
        let big = (finiteMax + 1) * Double(rows + columns + 1) * 4
        let n = rows, m = columns
        @inline(__always) func a(_ i: Int, _ j: Int) -> Double {
            let v = cost[(i - 1) * m + (j - 1)]
            return v.isFinite ? v : big
        }
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var p = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        var minv = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            for j in 0...m { minv[j] = .infinity; used[j] = false }
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity
                var j1 = 0
                for j in 1...m where !used[j] {
                    let cur = a(i0, j) - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var out = [Int?](repeating: nil, count: n)
        for j in 1...m where p[j] != 0 {
            if cost[(p[j] - 1) * m + (j - 1)].isFinite { out[p[j] - 1] = j - 1 }
        }
        return out
    }
}
