import Foundation

/// Adaptive-scale denoising of a 2D map by local polynomial approximation with the
/// intersection of confidence intervals (LPA-ICI).
///
/// V. Katkovnik, "A new method for varying adaptive bandwidth selection", IEEE Trans. Signal
/// Processing 47(9), 1999; V. Katkovnik, K. Egiazarian, J. Astola, "Adaptive window size image
/// de-noising based on intersection of confidence intervals (ICI) rule", J. Math. Imaging and
/// Vision 16, 2002; and the anisotropic (directional) form in Katkovnik, Foi, Egiazarian,
/// Astola, "Directional varying scale approximations for anisotropic signal processing",
/// EUSIPCO 2004. The seed study (Li et al. 2021) applies it to nanodiffraction point clouds.
///
/// Zero-order LPA (the local mean) in four quadrant windows per position, each growing over
/// half-widths h₁ < h₂ < …: a scale is kept while the confidence interval ŷ_h ± Γ·σ/√n_h
/// still intersects every smaller scale's; each quadrant stops where its window would cross an
/// edge, so flat regions are smoothed strongly and steps (tilt boundaries) are kept. The four
/// estimates are fused by inverse variance. σ is the map's noise, estimated robustly from
/// second differences (MAD), which smooth strain fields barely move. NaN marks a missing position; it stays NaN.
public enum NanodiffLPAICI {
    /// Half-widths of the windows, positions.
    public static let defaultScales = [0, 1, 2, 3, 5]
    /// Γ of the ICI rule (Katkovnik et al. use 1–3; 2 keeps ≈95 % intervals per scale).
    public static let defaultGamma = 2.0

    /// The denoised map and, per position, the mean adaptive half-width chosen.
    public static func denoise(_ map: [Double], width: Int, height: Int, gamma: Double = defaultGamma,
                               scales: [Int] = defaultScales, sigma: Double? = nil) -> (values: [Double], scale: [Double]) {
        precondition(map.count == width * height, "map must be width×height")
        let sigma = sigma ?? noiseSigma(map, width: width, height: height)
        var out = map
        var chosen = [Double](repeating: 0, count: map.count)
        guard sigma > 0 else { return (out, chosen) }
        let quadrants = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
        for y in 0..<height {
            for x in 0..<width where map[y * width + x].isFinite {
                var num = 0.0, den = 0.0, hsum = 0.0
                for (sx, sy) in quadrants {
                    var lo = -Double.infinity, hi = Double.infinity
                    var best: (mean: Double, n: Int, h: Int)?
                    for h in scales {
                        var s = 0.0, n = 0
                        for dy in 0...h {
                            let yy = y + sy * dy
                            guard yy >= 0 && yy < height else { continue }
                            for dx in 0...h {
                                let xx = x + sx * dx
                                guard xx >= 0 && xx < width else { continue }
                                let v = map[yy * width + xx]
                                if v.isFinite { s += v; n += 1 }
                            }
                        }
                        guard n > 0 else { break }
                        let m = s / Double(n), half = gamma * sigma / Double(n).squareRoot()
                        lo = max(lo, m - half)
                        hi = min(hi, m + half)
                        if lo > hi { break }
                        best = (m, n, h)
                    }
                    if let best {
                        let weight = Double(best.n)  // 1 / variance, up to σ²
                        num += weight * best.mean
                        den += weight
                        hsum += Double(best.h)
                    }
                }
                if den > 0 {
                    out[y * width + x] = num / den
                    chosen[y * width + x] = hsum / 4
                }
            }
        }
        return (out, chosen)
    }

    /// Robust noise σ of a map from second differences (insensitive to smooth fields):
    /// MAD of v[x−1] − 2v[x] + v[x+1] (rows and columns) / (0.6745·√6).
    public static func noiseSigma(_ map: [Double], width: Int, height: Int) -> Double {
        var d: [Double] = []
        for y in 0..<height {
            for x in 0..<width {
                let v = map[y * width + x]
                if x > 0 && x + 1 < width, case let s = map[y * width + x - 1] - 2 * v + map[y * width + x + 1], s.isFinite { d.append(abs(s)) }
                if y > 0 && y + 1 < height, case let s = map[(y - 1) * width + x] - 2 * v + map[(y + 1) * width + x], s.isFinite { d.append(abs(s)) }
            }
        }
        return NanodiffLPAICI.median(d) / (0.674_489_75 * 6.0.squareRoot())
    }

    /// The median of `values` (0 when empty).
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
