/// Tracks defects through a time series of scans (states of charge): defects of the same kind
/// in consecutive scans are matched by minimum total distance (Hungarian) within `gate` scan
/// positions; a matched defect continues its track, others start one.
public enum NanodiffTracker {
    /// Track ids for `scans[t][i]`, numbered from 1 in order of appearance.
    public static func track(_ scans: [[NanodiffDefect]], gate: Double) -> [[Int]] {
        var ids: [[Int]] = []
        var next = 1
        for (t, defects) in scans.enumerated() {
            var current = [Int](repeating: 0, count: defects.count)
            if t > 0 {
                let prev = scans[t - 1]
                let big = 1e9
                var cost = [Double](repeating: big, count: prev.count * defects.count)
                for (i, a) in prev.enumerated() {
                    for (j, b) in defects.enumerated() where a.kind == b.kind {
                        let d = ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
                        if d <= gate { cost[i * defects.count + j] = d }
                    }
                }
                if !prev.isEmpty && !defects.isEmpty {
                    let assignment = Hungarian.solve(cost: cost, rows: prev.count, columns: defects.count)
                    for (i, j) in assignment.enumerated() {
                        if let j, cost[i * defects.count + j] < big { current[j] = ids[t - 1][i] }
                    }
                }
            }
            for j in current.indices where current[j] == 0 { current[j] = next; next += 1 }
            ids.append(current)
        }
        return ids
    }
}
