import Foundation

/// Regions of a scan and their tracks through a series of scans (states of charge).
///
/// A region is a connected patch (4-neighbour) of positions with the same cluster label, of at
/// least `minSize` positions (smaller patches are the speckle of k-means on noisy positions).
/// Regions of consecutive scans are matched one-to-one (Hungarian) by their own overlap and
/// kind, not by their label alone: cost = (1 − IoU of the position masks) + the distance of
/// their embedding centroids in units of the within-region spread. A pair is allowed only when
/// the masks overlap and the centroids lie within `gate` spreads (the same kind of lattice).
/// So a region that grows keeps its track (its old mask is inside the new one), and a region
/// that appears starts a new track even where it shares a label with another region.
public enum NanodiffRegionTracker {
    public struct Region: Sendable, Equatable {
        /// Cluster label of its positions.
        public var cluster: Int
        /// Position indices (row-major, y·width + x).
        public var positions: [Int]
        /// Mean embedding of its positions.
        public var centroid: [Double]
    }

    /// Connected regions of `labels` (width×height, nil = no label); `embedding` holds `dims`
    /// values per position (NaN or anything where unlabelled). Returns the regions and, per
    /// position, the index of its region (nil for speckle and unlabelled positions).
    public static func regions(labels: [Int?], width: Int, height: Int, embedding: [Double], dims: Int,
                               minSize: Int = 4) -> (regions: [Region], regionOf: [Int?]) {
        var regionOf = [Int?](repeating: nil, count: width * height)
        var seen = [Bool](repeating: false, count: width * height)
        var out: [Region] = []
        for start in 0..<(width * height) where !seen[start] {
            guard let label = labels[start] else { continue }
            var stack = [start], members: [Int] = []
            seen[start] = true
            while let i = stack.popLast() {
                members.append(i)
                let x = i % width, y = i / width
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < width && ny < height {
                    let j = ny * width + nx
                    if !seen[j] && labels[j] == label { seen[j] = true; stack.append(j) }
                }
            }
            guard members.count >= minSize else { continue }
            var centroid = [Double](repeating: 0, count: dims)
            for i in members { for d in 0..<dims { centroid[d] += embedding[i * dims + d] } }
            for i in members { regionOf[i] = out.count }
            out.append(Region(cluster: label, positions: members.sorted(), centroid: centroid.map { $0 / Double(members.count) }))
        }
        return (out, regionOf)
    }

    /// The RMS distance of positions from their region's centroid, pooled over `scans` (the
    /// unit of the embedding term; 1 when it cannot be measured).
    public static func spread(_ scans: [[Region]], embedding: [[Double]], dims: Int) -> Double {
        var sum = 0.0, n = 0
        for (s, regions) in scans.enumerated() {
            for r in regions {
                for i in r.positions {
                    for d in 0..<dims { let v = embedding[s][i * dims + d] - r.centroid[d]; sum += v * v }
                    n += 1
                }
            }
        }
        let rms = n > 0 ? (sum / Double(n)).squareRoot() : 0
        return rms > 0 && rms.isFinite ? rms : 1
    }

    /// Track ids for `scans[t][r]`, numbered from 1 in order of appearance. Scans share one grid
    /// of positions (the same scan area); `spread` is the embedding unit (`spread(_:)`).
    public static func track(_ scans: [[Region]], spread: Double, gate: Double = 3) -> [[Int]] {
        var ids: [[Int]] = []
        var next = 1
        for (t, regions) in scans.enumerated() {
            var current = [Int](repeating: 0, count: regions.count)
            if t > 0, !scans[t - 1].isEmpty, !regions.isEmpty {
                let prev = scans[t - 1]
                var cost = [Double](repeating: .infinity, count: prev.count * regions.count)
                for (i, a) in prev.enumerated() {
                    let mask = Set(a.positions)
                    for (j, b) in regions.enumerated() {
                        let common = b.positions.filter { mask.contains($0) }.count
                        guard common > 0 else { continue }
                        let iou = Double(common) / Double(a.positions.count + b.positions.count - common)
                        let distance = zip(a.centroid, b.centroid).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() / spread
                        if distance <= gate { cost[i * regions.count + j] = (1 - iou) + distance }
                    }
                }
                let assignment = Hungarian.solve(cost: cost, rows: prev.count, columns: regions.count)
                for (i, j) in assignment.enumerated() {
                    if let j, cost[i * regions.count + j].isFinite { current[j] = ids[t - 1][i] }
                }
            }
            for j in current.indices where current[j] == 0 { current[j] = next; next += 1 }
            ids.append(current)
        }
        return ids
    }
}
