import Foundation

/// An unsupervised embedding of the positions' descriptors and regions by clustering it.
///
/// The descriptor is fixed-size (`NanodiffDescriptor`); each column is standardised by its
/// median and robust spread (MAD), so no feature dominates by its unit, then projected on the
/// leading principal components. Regions are k-means clusters (k-means++ seeding from a fixed
/// seed, Lloyd iterations) of the embedding; k is chosen by the mean silhouette over 2…`maxK`
/// on a subsample, unless given.
public enum NanodiffEmbedding {
    /// Each column robustly standardised: minus its median, over 1.4826·MAD (its standard
    /// deviation when the MAD is 0), clipped to ±10.
    public static func standardise(_ x: [Double], rows n: Int, dims: Int) -> [Double] {
        var z = x
        for j in 0..<dims {
            let col = (0..<n).map { x[$0 * dims + j] }
            let med = NanodiffLPAICI.median(col)
            var spread = 1.4826 * NanodiffLPAICI.median(col.map { abs($0 - med) })
            if !(spread > 0) {
                let mean = col.reduce(0, +) / Double(n)
                spread = (col.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            }
            for i in 0..<n { z[i * dims + j] = spread > 0 ? max(-10, min(10, (x[i * dims + j] - med) / spread)) : 0 }
        }
        return z
    }

    /// Principal components of the rows of `x` (`n`×`dims`, row-major) after robust
    /// standardisation: the projections (`n`×`components`) and the explained variance ratios.
    public static func pca(_ x: [Double], rows n: Int, dims: Int, components: Int) -> (embedding: [Double], explained: [Double]) {
        guard n > 0, dims > 0 else { return ([], []) }
        let z = standardise(x, rows: n, dims: dims)
        var mean = [Double](repeating: 0, count: dims)
        for i in 0..<n { for j in 0..<dims { mean[j] += z[i * dims + j] / Double(n) } }
        var cov = [Double](repeating: 0, count: dims * dims)
        for i in 0..<n {
            for a in 0..<dims {
                let da = z[i * dims + a] - mean[a]
                for b in a..<dims { cov[a * dims + b] += da * (z[i * dims + b] - mean[b]) }
            }
        }
        for a in 0..<dims { for b in a..<dims { cov[a * dims + b] /= Double(n); cov[b * dims + a] = cov[a * dims + b] } }
        let (values, vectors) = NanodiffSymmetricEigen.decompose(cov, n: dims)
        let k = min(components, dims)
        let total = values.reduce(0) { $0 + max(0, $1) }
        var out = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            for c in 0..<k {
                var s = 0.0
                for j in 0..<dims { s += (z[i * dims + j] - mean[j]) * vectors[c][j] }
                out[i * k + c] = s
            }
        }
        return (out, (0..<k).map { total > 0 ? max(0, values[$0]) / total : 0 })
    }

    /// k-means of `n` points of `dims` dimensions: labels and centres.
    public static func kmeans(_ x: [Double], rows n: Int, dims: Int, k: Int, seed: UInt64 = 1, iterations: Int = 50) -> (labels: [Int], centres: [Double]) {
        guard n > 0, k > 0 else { return ([], []) }
        let k = min(k, n)
        var rng = SeededRandom(seed: seed)
        func dist(_ i: Int, _ c: [Double], _ j: Int) -> Double {
            var s = 0.0
            for d in 0..<dims { let t = x[i * dims + d] - c[j * dims + d]; s += t * t }
            return s
        }
        var centres = [Double](repeating: 0, count: k * dims)
        let first = Int(rng.next() % UInt64(n))
        for d in 0..<dims { centres[d] = x[first * dims + d] }
        var nearest = (0..<n).map { dist($0, centres, 0) }
        for c in 1..<k {
            let total = nearest.reduce(0, +)
            var pick = 0
            if total > 0 {
                var r = rng.unit() * total
                for i in 0..<n { r -= nearest[i]; if r <= 0 { pick = i; break } }
            }
            for d in 0..<dims { centres[c * dims + d] = x[pick * dims + d] }
            for i in 0..<n { nearest[i] = min(nearest[i], dist(i, centres, c)) }
        }
        var labels = [Int](repeating: 0, count: n)
        for _ in 0..<iterations {
            var changed = false
            for i in 0..<n {
                var best = 0, bd = Double.infinity
                for c in 0..<k { let dd = dist(i, centres, c); if dd < bd { bd = dd; best = c } }
                if labels[i] != best { labels[i] = best; changed = true }
            }
            var sums = [Double](repeating: 0, count: k * dims), counts = [Int](repeating: 0, count: k)
            for i in 0..<n { counts[labels[i]] += 1; for d in 0..<dims { sums[labels[i] * dims + d] += x[i * dims + d] } }
            for c in 0..<k where counts[c] > 0 { for d in 0..<dims { centres[c * dims + d] = sums[c * dims + d] / Double(counts[c]) } }
            if !changed { break }
        }
        // Order clusters by size, largest first, so label 0 is the matrix.
        let counts = (0..<k).map { c in labels.filter { $0 == c }.count }
        let order = (0..<k).sorted { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) }
        var rank = [Int](repeating: 0, count: k)
        for (r, c) in order.enumerated() { rank[c] = r }
        var sorted = [Double](repeating: 0, count: k * dims)
        for c in 0..<k { for d in 0..<dims { sorted[rank[c] * dims + d] = centres[c * dims + d] } }
        return (labels.map { rank[$0] }, sorted)
    }

    /// Mean silhouette of a labelling (exact; call it on a subsample).
    public static func silhouette(_ x: [Double], rows n: Int, dims: Int, labels: [Int], k: Int) -> Double {
        guard n > 1, k > 1 else { return -1 }
        var total = 0.0
        for i in 0..<n {
            var sum = [Double](repeating: 0, count: k), cnt = [Int](repeating: 0, count: k)
            for j in 0..<n where j != i {
                var s = 0.0
                for d in 0..<dims { let t = x[i * dims + d] - x[j * dims + d]; s += t * t }
                sum[labels[j]] += s.squareRoot(); cnt[labels[j]] += 1
            }
            let own = labels[i]
            guard cnt[own] > 0 else { continue }
            let a = sum[own] / Double(cnt[own])
            let b = (0..<k).filter { $0 != own && cnt[$0] > 0 }.map { sum[$0] / Double(cnt[$0]) }.min() ?? 0
            total += max(a, b) > 0 ? (b - a) / max(a, b) : 0
        }
        return total / Double(n)
    }

    /// Regions: k given, or chosen in 2…`maxK` by the best mean silhouette on ≤ 600 points.
    public static func regions(_ x: [Double], rows n: Int, dims: Int, k: Int?, maxK: Int = 6) -> (labels: [Int], k: Int, silhouette: Double) {
        guard n > 2 else { return ([Int](repeating: 0, count: n), 1, 0) }
        if let k { return (kmeans(x, rows: n, dims: dims, k: k).labels, min(k, n), .nan) }
        let stride = max(1, n / 600)
        let sample = Swift.stride(from: 0, to: n, by: stride).map { $0 }
        var sx: [Double] = []
        for i in sample { sx += x[(i * dims)..<((i + 1) * dims)] }
        var best = (k: 2, s: -2.0)
        for kk in 2...max(2, min(maxK, n - 1)) {
            let labels = kmeans(sx, rows: sample.count, dims: dims, k: kk).labels
            let s = silhouette(sx, rows: sample.count, dims: dims, labels: labels, k: kk)
            if s > best.s { best = (kk, s) }
        }
        return (kmeans(x, rows: n, dims: dims, k: best.k).labels, best.k, best.s)
    }
}

/// The fixed-size descriptor of a position that the embedding sees.
public enum NanodiffDescriptor {
    public static let names = ["log_intensity", "strain", "tilt_x", "tilt_y", "width1", "width2", "width3",
                               "linearity", "planarity", "rocking_width", "rocking_skew", "rocking_kurtosis"]

    public static func vector(_ f: NanodiffFeatures, strain: Double, tiltX: Double, tiltY: Double) -> [Double] {
        [log(max(1, f.intensity)), strain, tiltX, tiltY, f.widths.x, f.widths.y, f.widths.z,
         f.linearity, f.planarity, f.rockingWidthDeg, f.rockingSkew, f.rockingKurtosis]
    }
}
