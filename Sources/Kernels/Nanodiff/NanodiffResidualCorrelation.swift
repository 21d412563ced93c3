import Foundation

/// How many positions of a residual map count as one independent measurement: the sum of the
/// map's spatial autocorrelation over all lags, κ = Σ_d ρ(d) (κ = 1 for independent residuals,
/// κ = (Σk)²/Σk² for white noise smoothed by a kernel k).
///
/// A likelihood-ratio statistic for a step that assumes independent residuals is inflated by κ
/// when the residuals are correlated (its numerator sums the residuals over a half-plane, whose
/// variance grows by κ, while the residual sum of squares does not), and its residual degrees of
/// freedom shrink by κ. The sum over lags is truncated as Geyer's initial positive sequence
/// (1992) does for time series, here over square rings of Chebyshev radius 1, 2, …: the sum
/// stops before the first ring whose total correlation is not positive, so the estimate needs no
/// hand-picked correlation length and does not add up noise at long lags.
public enum NanodiffResidualCorrelation {
    /// Rings tried at most (steps); each ring needs `minimumPairs` pairs of positions.
    public static let maximumRadius = 6
    static let minimumPairs = 10

    /// κ of `values` (a width×height map, row-major; NaN where nothing was fitted), at least 1.
    public static func effectiveArea(_ values: [Double], width: Int, height: Int) -> Double {
        correlation(values, width: width, height: height).kappa
    }

    /// κ and the correlation radius: the rings summed (0 when the first ring's correlation is not
    /// positive, i.e. the residuals look independent).
    public static func correlation(_ values: [Double], width: Int, height: Int) -> (kappa: Double, radius: Int) {
        precondition(values.count == width * height, "one value per map position")
        var sum = 0.0, count = 0
        for v in values where v.isFinite { sum += v * v; count += 1 }
        guard count > minimumPairs, sum > 0 else { return (1, 0) }
        let variance = sum / Double(count)
        var kappa = 1.0, summed = 0
        return values.withUnsafeBufferPointer { z in
            for radius in 1...maximumRadius {
                var ring = 0.0, any = false
                // Each lag d and −d give the same correlation: count the ring's half-plane lags twice.
                for dy in 0...radius {
                    for dx in -radius...radius where max(abs(dx), dy) == radius && (dy > 0 || dx > 0) {
                        guard let rho = correlation(z, width: width, height: height, dx: dx, dy: dy, variance: variance) else { continue }
                        ring += 2 * rho
                        any = true
                    }
                }
                guard any, ring > 0 else { break }
                kappa += ring
                summed = radius
            }
            return (max(1, kappa), summed)
        }
    }

    /// ρ at lag (dx, dy): the mean product of the finite pairs over the map's variance.
    static func correlation(_ z: UnsafeBufferPointer<Double>, width: Int, height: Int, dx: Int, dy: Int, variance: Double) -> Double? {
        var sum = 0.0, pairs = 0
        for y in 0..<(height - dy) {
            let row = y * width, other = (y + dy) * width
            for x in max(0, -dx)..<min(width, width - dx) {
                let a = z[row + x], b = z[other + x + dx]
                if a.isFinite && b.isFinite { sum += a * b; pairs += 1 }
            }
        }
        return pairs >= minimumPairs ? sum / Double(pairs) / variance : nil
    }
}
