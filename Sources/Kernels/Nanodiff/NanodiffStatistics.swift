import Foundation

/// Quantiles for the detection tests and the agreement of two labellings.
public enum NanodiffStatistics {
    /// The standard normal quantile Φ⁻¹(p) (one implementation, shared with the Poisson threshold).
    public static func normalQuantile(_ p: Double) -> Double {
        NanodiffPoissonThreshold.normalQuantile(p)
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
