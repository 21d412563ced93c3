import Foundation

/// Where the strain map holds a localised strained region that the boundary model does not
/// follow: its tilt field (the gradient of the same displacement) is the largest misfit the
/// boundary test meets, and it can pull a line towards it. Such positions are left out of the
/// tilt model, as the cores' neighbourhoods are.
///
/// The strain map is fitted with the same smooth model as the tilts (quadratic, multipoles per
/// core, bisquare); a position is anomalous when its residual exceeds the robust scale (1.4826
/// MAD) times the normal quantile at α/(2N), Bonferroni over the N positions, so noise alone
/// flags none in 1/α maps. Anomalies within 2 × `NanodiffTiltModel.coreExclusion` of a core are
/// the core's own field (modelled) and ignored; a connected group (4-neighbour) of at least 3
/// positions is a region, masked as the disc of its area around its centroid.
public enum NanodiffStrainRegionMask {
    /// Fewest connected anomalous positions that make a region (fewer: isolated outliers).
    public static let minimumPositions = 3

    /// True where a position lies in a strained region of `strain` (width×height, NaN missing).
    public static func mask(strain: [Double], width: Int, height: Int, cores: [SIMD2<Double>], falseAlarm: Double = 0.01) -> [Bool] {
        let n = width * height
        var out = [Bool](repeating: false, count: n)
        guard strain.count == n else { return out }
        let model = NanodiffTiltModel(width: width, height: height, usable: strain.map(\.isFinite), cores: cores)
        guard model.positions.count > model.columns + 2,
              let fit = model.fit(model.positions.map { strain[$0] }, sigma: [Double](repeating: 1e-9, count: model.positions.count)) else { return out }
        let scale = 1.4826 * NanodiffLPAICI.median(fit.residuals.map(abs))
        guard scale > 0 else { return out }
        let cut = -NanodiffStatistics.normalQuantile(falseAlarm / (2 * Double(model.positions.count))) * scale
        let near = 2 * NanodiffTiltModel.coreExclusion
        var anomalous = [Bool](repeating: false, count: n)
        for (k, i) in model.positions.enumerated() where abs(fit.residuals[k]) > cut {
            let p = SIMD2(Double(i % width), Double(i / width))
            if cores.allSatisfy({ (($0 - p) * ($0 - p)).sum() > near * near }) { anomalous[i] = true }
        }
        for group in components(anomalous, width: width, height: height) where group.count >= minimumPositions {
            let centre = group.reduce(SIMD2<Double>(0, 0)) { $0 + SIMD2(Double($1 % width), Double($1 / width)) } / Double(group.count)
            let radius = (Double(group.count) / .pi).squareRoot()
            for i in 0..<n {
                let d = SIMD2(Double(i % width), Double(i / width)) - centre
                if (d * d).sum() <= radius * radius { out[i] = true }
            }
        }
        return out
    }

    /// The 4-connected groups of true positions (flood fill).
    static func components(_ set: [Bool], width: Int, height: Int) -> [[Int]] {
        var seen = [Bool](repeating: false, count: set.count), groups: [[Int]] = []
        for start in set.indices where set[start] && !seen[start] {
            var group: [Int] = [], stack = [start]
            seen[start] = true
            while let i = stack.popLast() {
                group.append(i)
                let x = i % width, y = i / width
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && nx < width && ny >= 0 && ny < height {
                    let j = ny * width + nx
                    if set[j] && !seen[j] { seen[j] = true; stack.append(j) }
                }
            }
            groups.append(group)
        }
        return groups
    }
}
