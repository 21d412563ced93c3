#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ground truth of a synthetic cube: 3D geometry in scan pixels (z relative to the focal
/// plane, positive downstream) and the bright-field calibration used.
public struct STEM4DSynthTruth: Sendable, Hashable, Codable {
    /// Polylines, points `[x, y, z]` ordered along each line.
    public var lines: [[[Double]]]
    /// Spheres `[x, y, z, radius]`.
    public var spheres: [[Double]]
    /// The bright-field disk the cube was drawn with.
    public var brightField: STEM4DBrightField
    public var convergenceMrad: Double
    public var slabTop: Double
    public var slabThickness: Double
    /// Contrast of each line (nil: all `params.lineContrast`).
    public var lineContrasts: [Double]? = nil
    /// Rotation of the scan against the detector, degrees (see `STEM4DSynthParams`).
    public var scanRotationDeg: Double? = nil
}

/// A synthetic cube, C order (scan_y, scan_x, det_y, det_x), with its truth.
public struct STEM4DSynthCube: Sendable {
    public var params: STEM4DSynthParams
    public var cube: [UInt16]
    public var truth: STEM4DSynthTruth
    /// Detector shape.
    public var detector: STEM4DDetectorShape { STEM4DDetectorShape(rows: params.detRows, cols: params.detCols) }
}

/// Synthetic 4D-STEM cubes by reciprocity.
///
/// Every detector pixel inside the bright-field disk sees the slab as a bright-field image
/// taken with the beam tilted by θ = s·(pixel − centre), s = α / R_BF: an object point at
/// (X, Y, z) appears at (X, Y) − z·tan θ. Spheres darken by `contrast·√(1 − ρ²/R²)` (their
/// chord), lines by a Gaussian profile of half-width σ. Edge pixels of the disk are mixed
/// by their covered fraction; outside the disk a weak dark-field background falls off
/// radially and brightens slightly where objects scatter. Counts are Poisson.
public enum STEM4DSynthesizer {
    /// Builds the cube and its truth (deterministic from `params.seed`).
    public static func make(_ p: STEM4DSynthParams) -> STEM4DSynthCube { make(p, lines: nil) }

    /// Builds the cube with the given 3D `lines` (points `[x, y, z]`) instead of random ones
    /// (nil: drawn from `params` as usual), for tests of a chosen geometry.
    public static func make(_ p: STEM4DSynthParams, lines given: [[[Double]]]?) -> STEM4DSynthCube {
        make(p, lines: given, spheres: nil)
    }

    /// Builds the cube with the given `lines` and/or `spheres` (`[x, y, z, r]`) instead of
    /// random ones (nil: drawn from `params` as usual), for tests of a chosen geometry.
    public static func make(_ p: STEM4DSynthParams, lines given: [[[Double]]]?, spheres givenSpheres: [[Double]]?) -> STEM4DSynthCube {
        var rng = SeededRandom(seed: p.seed)
        let drawn = p.content == .lines ? makeLines(p, &rng) : []
        var truth = STEM4DSynthTruth(
            lines: given ?? drawn,
            spheres: p.content == .spheres ? (givenSpheres ?? makeSpheres(p, &rng)) : [],
            brightField: STEM4DBrightField(cx: p.bfCx, cy: p.bfCy, radius: p.bfRadius, background: 0, plateau: p.bfCounts),
            convergenceMrad: p.convergenceMrad, slabTop: p.slabTop, slabThickness: p.slabThickness)
        if let low = p.lineContrastMin {
            truth.lineContrasts = truth.lines.map { _ in rng.uniform(min(low, p.lineContrast)...p.lineContrast) }
        }
        if p.scanRotationDeg != 0 { truth.scanRotationDeg = p.scanRotationDeg }
        let rot = p.scanRotationDeg * .pi / 180, cr = cos(rot), sr = sin(rot)
        let S = p.scanRows * p.scanCols, D = p.detRows * p.detCols
        var cube = [UInt16](repeating: 0, count: S * D)
        let s = p.convergenceMrad / p.bfRadius * 1e-3  // rad per det px
        let a0 = absorption(p, truth, tanX: 0, tanY: 0)
        let matrix = (0..<p.scanCols).map { x in
            p.backgroundAbsorption * (1 + p.backgroundGradient * (Double(x) / Double(max(1, p.scanCols - 1)) - 0.5))
        }
        cube.withUnsafeMutableBufferPointer { out in
            for v in 0..<p.detRows {
                for u in 0..<p.detCols {
                    let dx = Double(u) - p.bfCx, dy = Double(v) - p.bfCy
                    let rho = (dx * dx + dy * dy).squareRoot()
                    let bfFrac = min(1, max(0, p.bfRadius - rho + 0.5))
                    let df = p.dfCounts * exp(-max(0, rho - p.bfRadius) / (p.bfRadius / 2))
                    var r = rng.derived(UInt64(v * p.detCols + u))
                    let a = bfFrac > 0 ? absorption(p, truth, tanX: tan(s * (cr * dx - sr * dy)), tanY: tan(s * (sr * dx + cr * dy))) : []
                    let k = v * p.detCols + u
                    for i in 0..<S {
                        var lam = (1 - bfFrac) * df * (1 + 0.5 * a0[i])
                        if bfFrac > 0 { lam += bfFrac * p.bfCounts * max(0.05, 1 - a[i] - matrix[i % p.scanCols]) }
                        out[i * D + k] = UInt16(clamping: r.poisson(lam))
                    }
                }
            }
        }
        return STEM4DSynthCube(params: p, cube: cube, truth: truth)
    }

    /// Noise-free absorbed fraction image (scan rows × cols) at beam tilt tan θ = (tanX, tanY).
    public static func absorption(_ p: STEM4DSynthParams, _ t: STEM4DSynthTruth, tanX: Double, tanY: Double) -> [Double] {
        let W = p.scanCols, H = p.scanRows
        var a = [Double](repeating: 0, count: W * H)
        // A probe box: n × n samples 0.125 px apart or closer over it.
        let box = max(0, p.sphereProbeBox ?? 0), n = box > 0 ? max(2, Int((8 * box).rounded(.up))) : 1
        for sp in t.spheres {
            let cx = sp[0] - sp[2] * tanX, cy = sp[1] - sp[2] * tanY, R = sp[3], reach = R + box / 2
            for y in max(0, Int((cy - reach).rounded(.down)))...min(H - 1, Int((cy + reach).rounded(.up))) {
                for x in max(0, Int((cx - reach).rounded(.down)))...min(W - 1, Int((cx + reach).rounded(.up))) {
                    if n == 1 {
                        let q = 1 - ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)) / (R * R)
                        if q > 0 { a[y * W + x] += p.sphereContrast * q.squareRoot() }
                        continue
                    }
                    var sum = 0.0
                    for j in 0..<n {
                        let dy = Double(y) + ((Double(j) + 0.5) / Double(n) - 0.5) * box - cy
                        for i in 0..<n {
                            let dx = Double(x) + ((Double(i) + 0.5) / Double(n) - 0.5) * box - cx
                            let q = 1 - (dx * dx + dy * dy) / (R * R)
                            if q > 0 { sum += q.squareRoot() }
                        }
                    }
                    a[y * W + x] += p.sphereContrast * sum / Double(n * n)
                }
            }
        }
        let reach = 4 * p.lineSigma
        for (index, line) in t.lines.enumerated() {
            let contrast = t.lineContrasts?[index] ?? p.lineContrast
            var near = [Double](repeating: .infinity, count: W * H)
            for k in 1..<line.count {
                let x0 = line[k - 1][0] - line[k - 1][2] * tanX, y0 = line[k - 1][1] - line[k - 1][2] * tanY
                let x1 = line[k][0] - line[k][2] * tanX, y1 = line[k][1] - line[k][2] * tanY
                let lx = max(0, Int((min(x0, x1) - reach).rounded(.down))), hx = min(W - 1, Int((max(x0, x1) + reach).rounded(.up)))
                let ly = max(0, Int((min(y0, y1) - reach).rounded(.down))), hy = min(H - 1, Int((max(y0, y1) + reach).rounded(.up)))
                guard lx <= hx, ly <= hy else { continue }
                let ex = x1 - x0, ey = y1 - y0, len2 = max(ex * ex + ey * ey, 1e-12)
                for y in ly...hy {
                    for x in lx...hx {
                        let tt = min(1, max(0, ((Double(x) - x0) * ex + (Double(y) - y0) * ey) / len2))
                        let ddx = Double(x) - x0 - tt * ex, ddy = Double(y) - y0 - tt * ey
                        near[y * W + x] = min(near[y * W + x], ddx * ddx + ddy * ddy)
                    }
                }
            }
            for i in 0..<(W * H) where near[i].isFinite {
                a[i] += contrast * exp(-near[i] / (2 * p.lineSigma * p.lineSigma))
            }
        }
        return a
    }

    static func makeSpheres(_ p: STEM4DSynthParams, _ rng: inout SeededRandom) -> [[Double]] {
        var out: [[Double]] = []
        var attempts = 0
        while out.count < p.sphereCount && attempts < p.sphereCount * 2000 {
            attempts += 1
            let r = rng.uniform(p.sphereRadiusMin...p.sphereRadiusMax)
            let m = p.margin + r
            guard Double(p.scanCols) - m > m, Double(p.scanRows) - m > m else { break }
            let zLo = p.slabTop + r, zHi = p.slabTop + p.slabThickness - r
            var x = rng.uniform(m...(Double(p.scanCols) - 1 - m)), y = rng.uniform(m...(Double(p.scanRows) - 1 - m))
            var z = zLo < zHi ? rng.uniform(zLo...zHi) : p.slabTop + p.slabThickness / 2
            if p.sphereChainFraction > 0 && !out.isEmpty && rng.uniform(0...1) < p.sphereChainFraction {
                // Touching an earlier sphere (a small gap, so the outlines stay two spheres).
                // Half of them grow a chain from the last sphere placed, half touch any earlier one.
                let o = rng.uniform(0...1) < 0.5 ? out[out.count - 1] : out[min(out.count - 1, Int(rng.uniform(0...1) * Double(out.count)))]
                let theta = rng.uniform(0...(2 * .pi)), cz = rng.uniform(-0.6...0.6)
                let d = o[3] + r + rng.uniform(0...0.3), sxy = (1 - cz * cz).squareRoot()
                x = o[0] + d * sxy * cos(theta); y = o[1] + d * sxy * sin(theta); z = o[2] + d * cz
                guard x >= m, x <= Double(p.scanCols) - 1 - m, y >= m, y <= Double(p.scanRows) - 1 - m,
                      z >= min(zLo, zHi), z <= max(zLo, zHi) else { continue }
            }
            let ok = out.allSatisfy { o in
                let dxy2 = (o[0] - x) * (o[0] - x) + (o[1] - y) * (o[1] - y)
                let d3 = (dxy2 + (o[2] - z) * (o[2] - z)).squareRoot()
                return dxy2.squareRoot() >= o[3] + r + p.sphereLateralGap && d3 >= o[3] + r
            }
            if ok { out.append([x, y, z, r]) }
        }
        return out
    }

    static func makeLines(_ p: STEM4DSynthParams, _ rng: inout SeededRandom) -> [[[Double]]] {
        var out: [[[Double]]] = []
        let W = Double(p.scanCols), H = Double(p.scanRows)
        for _ in 0..<p.lineCount {
            for _ in 0..<200 {
                let run = rng.uniform(p.lineRunMin...p.lineRunMax)
                let dir = rng.uniform(0...(2 * .pi))
                // Avoid lines nearly along x (degenerate for row-wise stereo matching).
                if !p.lineAlongBaseline && abs(sin(dir)) < 0.35 { continue }
                let x0 = rng.uniform(p.margin...(W - 1 - p.margin)), y0 = rng.uniform(p.margin...(H - 1 - p.margin))
                let x1 = x0 + run * cos(dir), y1 = y0 + run * sin(dir)
                guard x1 >= p.margin, x1 <= W - 1 - p.margin, y1 >= p.margin, y1 <= H - 1 - p.margin else { continue }
                let bow = rng.uniform(-0.15...0.15) * run
                let n = max(2, Int(run.rounded()) + 1)
                let zA = p.lineRandomDepth ? rng.uniform(p.slabTop...(p.slabTop + p.slabThickness)) : p.slabTop
                let zB = p.lineRandomDepth ? rng.uniform(p.slabTop...(p.slabTop + p.slabThickness)) : p.slabTop + p.slabThickness
                // Drawn only when asked for, so cubes without them keep their random stream.
                let wiggle = p.lineWiggle > 0 ? rng.uniform(-p.lineWiggle...p.lineWiggle) * run : 0
                let depthBow = p.lineDepthBow > 0 ? rng.uniform(-p.lineDepthBow...p.lineDepthBow) * p.slabThickness : 0
                var pts: [[Double]] = []
                for k in 0..<n {
                    let t = Double(k) / Double(n - 1)
                    let b = bow * sin(.pi * t) + wiggle * sin(2 * .pi * t)
                    let z = min(p.slabTop + p.slabThickness, max(p.slabTop, zA + t * (zB - zA) + depthBow * sin(.pi * t)))
                    pts.append([x0 + t * (x1 - x0) - b * sin(dir), y0 + t * (y1 - y0) + b * cos(dir), z])
                }
                out.append(pts)
                break
            }
        }
        return out
    }
}
