import Foundation

/// Quantiles for the detection tests and the agreement of two labellings.
public enum NanodiffStatistics {
    /// The standard normal quantile Φ⁻¹(p) (Acklam's rational approximation, |error| < 1.2·10⁻⁹).
    public static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549671058387390e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let p = min(max(p, 1e-300), 1 - 1e-16)
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - 0.02425 { return -normalQuantile(1 - p) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The Student t quantile with `dof` degrees of freedom at the normal quantile `z`
    /// (Cornish–Fisher expansion; within 1 % for dof ≥ 3 at the tails used here).
    public static func studentQuantile(z: Double, dof: Double) -> Double {
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * dof) + (5 * z5 + 16 * z3 + 3 * z) / (96 * dof * dof)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * dof * dof * dof)
    }

    /// The adjusted Rand index of two labellings of the same items (Hubert & Arabie 1985):
    /// 1 for identical partitions, ≈ 0 for chance agreement.
    public static func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
        precondition(a.count == b.count, "labellings must have the same length")
        guard a.count > 1 else { return 1 }
        var table: [Int: [Int: Int]] = [:], rows: [Int: Int] = [:], cols: [Int: Int] = [:]
        for (x, y) in zip(a, b) { table[x, default: [:]][y, default: 0] += 1; rows[x, default: 0] += 1; cols[y, default: 0] += 1 }
        func pairs(_ n: Int) -> Double { Double(n) * Double(n - 1) / 2 }
        let index = table.values.flatMap(\.values).reduce(0) { $0 + pairs($1) }
        let sa = rows.values.reduce(0) { $0 + pairs($1) }, sb = cols.values.reduce(0) { $0 + pairs($1) }
        let expected = sa * sb / pairs(a.count), maximum = (sa + sb) / 2
        return maximum == expected ? 1 : (index - expected) / (maximum - expected)
    }
}
