import Foundation

/// Finds tilt boundaries — straight lines across which the lattice turns by a step — in a tilt
/// map, by hypothesis tests with a stated false-alarm rate instead of hand-picked cuts.
///
/// For every candidate line (angle every 2°, offset every half step: M lines), samples one step
/// apart along it each give a step J: the *detrended step* (t₊ − t₋) − 3b from the map at ±1.5
/// steps (t₊, t₋) and the mean slope b of the two sides (from ±1.5 and ±2.5 steps), where it
/// agrees in sign with the plain difference t₊ − t₋, the smaller of the two (else 0). A linear
/// field gives 0, a step its size, and the detrended step's opposite-sign side lobes next to a
/// step are cut by the plain difference; the samples sit far enough out that their bilinear
/// neighbours never straddle the line. Each J has a known measurement noise σ_J, propagated
/// from the per-position tilt errors (the Poisson error of each position's centroid,
/// `NanodiffLatticeFrame.tiltSigmas`). A line is a boundary when, with α the per-map
/// false-alarm rate and Bonferroni over the M lines:
/// 1. its mean step J̄ exceeds its measurement noise at α/M (noise alone does not make it);
/// 2. J̄ exceeds the scatter of the J along the line, a one-sample t-test at α/M: the step is
///    the same everywhere along the line. Real smooth fields (dislocation strain, dilatation)
///    curve, so their detrended steps are local and of changing sign, and fail this test;
/// 3. the longest run of samples individually significant with the sign of J̄ (each at a
///    per-sample rate p = 0.01) spans at least L = ⌈log(α/M)/log p⌉ steps: the length at which
///    a chance run of independent noise exceedances is as rare as the map's false-alarm rate.
/// The best line (largest t) is reported, its samples masked, and the search repeats.
public enum NanodiffBoundaryFinder {
    /// Per-map false-alarm rate: the chance that pure measurement noise yields a line.
    public static let defaultFalseAlarm = 0.01
    /// Per-sample rate of the supported-length test.
    static let sampleRate = 0.01

    /// Tilt boundaries of `tilt` (width×height, NaN missing) with per-position errors `sigma`
    /// (same layout), away from the dislocation cores in `avoid` (2 steps).
    public static func find(tilt: [Double], sigma: [Double], width: Int, height: Int, avoid: [SIMD2<Double>] = [],
                            falseAlarm: Double = defaultFalseAlarm, maxBoundaries: Int = 3) -> [NanodiffDefect] {
        guard width >= 6, height >= 6, tilt.count == width * height, sigma.count == tilt.count else { return [] }
        let diagonal = Double(width * width + height * height).squareRoot()
        let centre = SIMD2(Double(width - 1) / 2, Double(height - 1) / 2)
        let angles = Array(stride(from: 0.0, to: 180.0, by: 2.0))
        let offsets = Array(stride(from: -diagonal / 2, through: diagonal / 2, by: 0.5))
        let lineRate = falseAlarm / Double(angles.count * offsets.count)
        let z = NanodiffStatistics.normalQuantile(1 - lineRate / 2)
        let zSample = NanodiffStatistics.normalQuantile(1 - sampleRate)
        let minRun = Int((log(lineRate) / log(sampleRate)).rounded(.up))
        var masked = avoid.map { ($0, 2.0) }
        var found: [NanodiffDefect] = []
        for _ in 0..<maxBoundaries {
            var best: (t: Double, step: Double, samples: [SIMD2<Double>])?
            for a in angles {
                let r = a * .pi / 180
                let dir = SIMD2(cos(r), sin(r)), n = SIMD2(-sin(r), cos(r))
                for off in offsets {
                    let line = steps(tilt, sigma: sigma, width: width, height: height, masked: masked,
                                     points: stride(from: -diagonal / 2, through: diagonal / 2, by: 1).map { centre + n * off + dir * $0 }, normal: n)
                    guard line.count >= max(minRun, 8) else { continue }
                    let k = Double(line.count)
                    let mean = line.reduce(0) { $0 + $1.j } / k
                    let noise = line.reduce(0) { $0 + $1.sigma * $1.sigma }.squareRoot() / k
                    guard abs(mean) > z * noise else { continue }
                    let scatter = (line.reduce(0) { $0 + ($1.j - mean) * ($1.j - mean) } / (k - 1)).squareRoot()
                    let t = abs(mean) / max(scatter / k.squareRoot(), noise)
                    guard t > NanodiffStatistics.studentQuantile(z: z, dof: k - 1) else { continue }
                    var run = 0, longest = 0, last = -2
                    for s in line {
                        let supports = s.j * mean > 0 && abs(s.j) > zSample * s.sigma
                        run = supports ? (s.index == last + 1 ? run + 1 : 1) : 0
                        if supports { last = s.index }
                        longest = max(longest, run)
                    }
                    guard longest >= minRun else { continue }
                    if t > (best?.t ?? 0) { best = (t, mean, line.map(\.point)) }
                }
            }
            guard let b = best else { break }
            let c = b.samples.reduce(SIMD2<Double>.zero, +) / Double(b.samples.count)
            found.append(NanodiffDefect(kind: .tiltBoundary, x: c.x, y: c.y, strength: b.step,
                                        points: [b.samples.first!, b.samples.last!].map { [$0.x, $0.y] }))
            // The stencil reaches 2.5 steps (+ the bilinear half step) across: lines within that
            // distance of a found one see the same step and are not separate boundaries.
            masked += b.samples.map { ($0, 3.0) }
        }
        return found
    }

    /// The detrended steps at `points` along a line with unit normal `n` (samples inside the map,
    /// outside the masks, with every value finite), with their noise and index along the line.
    static func steps(_ tilt: [Double], sigma: [Double], width: Int, height: Int, masked: [(SIMD2<Double>, Double)],
                      points: [SIMD2<Double>], normal n: SIMD2<Double>) -> [(j: Double, sigma: Double, point: SIMD2<Double>, index: Int)] {
        var out: [(j: Double, sigma: Double, point: SIMD2<Double>, index: Int)] = []
        for (index, p) in points.enumerated() {
            guard p.x >= 0, p.y >= 0, p.x <= Double(width - 1), p.y <= Double(height - 1) else { continue }
            guard masked.allSatisfy({ ((($0.0 - p) * ($0.0 - p)).sum()) > $0.1 * $0.1 }) else { continue }
            var v = [Double](), s = [Double]()
            for d in [-2.5, -1.5, 1.5, 2.5] {
                guard let t = NanodiffDefectFinder.bilinear(tilt, width: width, height: height, at: p + d * n),
                      let e = NanodiffDefectFinder.bilinear(sigma, width: width, height: height, at: p + d * n) else { break }
                v.append(t); s.append(e)
            }
            guard v.count == 4 else { continue }
            let slope = ((v[3] - v[2]) + (v[1] - v[0])) / 2
            let detrended = (v[2] - v[1]) - 3 * slope, plain = v[2] - v[1]
            // The detrended step has side lobes of opposite sign 2 steps either side of a real
            // step (one side's slope then holds the whole step); the plain difference has none
            // but responds to slopes. A step is what both see, with one sign: the smaller.
            let j = detrended * plain > 0 ? (detrended > 0 ? 1 : -1) * min(abs(detrended), abs(plain)) : 0
            // J = 2.5·t(1.5) − 1.5·t(2.5) − 2.5·t(−1.5) + 1.5·t(−2.5) (the larger noise of the two).
            let noise = (6.25 * (s[1] * s[1] + s[2] * s[2]) + 2.25 * (s[0] * s[0] + s[3] * s[3])).squareRoot()
            out.append((j, noise, p, index))
        }
        return out
    }
}
