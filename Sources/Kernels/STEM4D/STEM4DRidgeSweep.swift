#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dark-line ridges over all views at once by a depth sweep (plane sweep).
///
/// For each trial depth z every view's Hessian is sampled at the place a point at z appears in
/// it, (X, Y) − z·t_v, and averaged: at a line's true depth all views line up and its ridge is
/// strongest, whatever the line's direction (a line along one baseline is still focused by the
/// pair across it). The ridge strength (larger Hessian eigenvalue) is divided by its noise
/// level at that depth and scale — 1.4826 × the MAD of the averaged Lxx over the image, a
/// per-image statistic that lines covering a small fraction of the scan do not move — so
/// scales and depths compare as signal-to-noise ratios (the best scale is the matched filter).
public struct STEM4DRidgeSweep: Sendable, Hashable {
    /// Gaussian scales searched, px.
    public var scales: [Double]
    /// Largest |z| searched, scan px.
    public var zRange: Double
    /// Depth step as the shift it causes in the most tilted view, px.
    public var shiftStep: Double

    /// A sweep over ±`zRange` at `scales`.
    public init(zRange: Double, scales: [Double] = [1.0, 1.6, 2.5], shiftStep: Double = 0.35) {
        self.zRange = zRange; self.scales = scales; self.shiftStep = shiftStep
    }

    /// The sweep's result per pixel: best signal-to-noise ratio over depths and scales, the
    /// depth and scale where it is reached, and the line normal there.
    public struct Map: Sendable {
        public var rows: Int
        public var cols: Int
        /// Ridge strength in robust standard deviations above its depth-and-scale slice's median.
        public var score: [Float]
        /// Depth of the best response (parabola-refined between steps), scan px.
        public var depth: [Float]
        /// Index into `scales` of the best response.
        public var scale: [UInt8]
        /// Unit normal of the ridge at the best response.
        public var nx: [Float]
        public var ny: [Float]
        /// Depth step of the sweep, scan px.
        public var depthStep: Double
        /// The response at any place, scale and depth, for tracing.
        public var field: STEM4DRidgeField

        /// Bilinear sample of `score` at (x, y), clamped to the border.
        public func scoreAt(_ x: Double, _ y: Double) -> Double {
            let x0 = min(max(Int(x.rounded(.down)), 0), cols - 1), y0 = min(max(Int(y.rounded(.down)), 0), rows - 1)
            let x1 = min(x0 + 1, cols - 1), y1 = min(y0 + 1, rows - 1)
            let fx = min(max(x - Double(x0), 0), 1), fy = min(max(y - Double(y0), 0), 1)
            let a = Double(score[y0 * cols + x0]) * (1 - fx) + Double(score[y0 * cols + x1]) * fx
            let b = Double(score[y1 * cols + x0]) * (1 - fx) + Double(score[y1 * cols + x1]) * fx
            return a * (1 - fy) + b * fy
        }

        /// Index of the pixel nearest (x, y), clamped.
        public func index(_ x: Double, _ y: Double) -> Int {
            min(max(Int(y.rounded()), 0), rows - 1) * cols + min(max(Int(x.rounded()), 0), cols - 1)
        }
    }

    /// The depth steps: symmetric about 0, so that the most tilted view moves `shiftStep` px
    /// per step.
    public func depths(_ views: [STEM4DLineView]) -> [Double] {
        let tMax = views.map { ($0.tx * $0.tx + $0.ty * $0.ty).squareRoot() }.max() ?? 0
        guard tMax > 0, zRange > 0 else { return [0] }
        let dz = shiftStep / tMax
        let half = Int((zRange / dz).rounded(.up))
        return (-half...half).map { Double($0) * dz }
    }

    /// Sweeps `views` (all of one scan shape, already `normalised()`).
    public func run(_ views: [STEM4DLineView]) -> Map {
        let rows = views[0].image.rows, cols = views[0].image.cols, n = rows * cols
        let zs = depths(views)
        let field = STEM4DRidgeField(views: views, hessians: scales.map { sigma in views.map { STEM4DHessian.compute($0.image, sigma: sigma) } },
                                     depths: zs, statistics: [])
        var map = Map(rows: rows, cols: cols, score: [Float](repeating: -.infinity, count: n), depth: [Float](repeating: 0, count: n),
                      scale: [UInt8](repeating: 0, count: n), nx: [Float](repeating: 1, count: n), ny: [Float](repeating: 0, count: n),
                      depthStep: zs.count > 1 ? zs[1] - zs[0] : 1, field: field)
        var bestJ = [Int](repeating: 0, count: n)
        for k in scales.indices {
            // S(z) at this scale for every pixel, for the parabola across depths.
            var volume = [Float](repeating: 0, count: zs.count * n)
            var stats: [(median: Float, sigma: Float, noise: Float)] = []
            for (j, z) in zs.enumerated() {
                let (xx, xy, yy) = Self.refocus(field.hessians[k], views: views, z: z)
                let noise = max(Self.noise(xx), 1e-12)
                var raw = [Float](repeating: 0, count: n)
                var normals = [(Float, Float)](repeating: (1, 0), count: n)
                for i in 0..<n {
                    let r = STEM4DHessian.ridge(xx[i], xy[i], yy[i])
                    raw[i] = r.lambda / noise
                    normals[i] = (r.nx, r.ny)
                }
                // The slice's own null level: median and robust spread of the ridge strength.
                let sorted = raw.sorted()
                let median = sorted[n / 2]
                let spread = max(1e-6, Self.noise(raw))
                stats.append((median, spread, noise))
                for i in 0..<n {
                    let s = (raw[i] - median) / spread
                    volume[j * n + i] = s
                    if s > map.score[i] {
                        map.score[i] = s; map.scale[i] = UInt8(k); map.nx[i] = normals[i].0; map.ny[i] = normals[i].1
                        bestJ[i] = j
                    }
                }
            }
            map.field.statistics.append(stats)
            for i in 0..<n where Int(map.scale[i]) == k {
                let j = bestJ[i]
                var z = zs[j]
                if j > 0 && j < zs.count - 1 {
                    z += map.depthStep * STEM4DBlobDetector.parabola(Double(volume[(j - 1) * n + i]), Double(volume[j * n + i]),
                                                                     Double(volume[(j + 1) * n + i]))
                }
                map.depth[i] = Float(z)
            }
        }
        return map
    }

    /// The views' Hessians sampled at X − z·t_v and averaged.
    static func refocus(_ hessians: [STEM4DHessian], views: [STEM4DLineView], z: Double) -> ([Float], [Float], [Float]) {
        let rows = hessians[0].rows, cols = hessians[0].cols, n = rows * cols
        var xx = [Float](repeating: 0, count: n), xy = xx, yy = xx
        let weight = 1 / Float(views.count)
        for (h, v) in zip(hessians, views) {
            let sx = -z * v.tx, sy = -z * v.ty
            let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
            let fx = Float(sx - Double(x0)), fy = Float(sy - Double(y0))
            let w00 = (1 - fx) * (1 - fy) * weight, w10 = fx * (1 - fy) * weight, w01 = (1 - fx) * fy * weight, w11 = fx * fy * weight
            for y in 0..<rows {
                let ya = min(max(y + y0, 0), rows - 1) * cols, yb = min(max(y + y0 + 1, 0), rows - 1) * cols
                for x in 0..<cols {
                    let xa = min(max(x + x0, 0), cols - 1), xb = min(max(x + x0 + 1, 0), cols - 1)
                    let i = y * cols + x
                    xx[i] += w00 * h.xx[ya + xa] + w10 * h.xx[ya + xb] + w01 * h.xx[yb + xa] + w11 * h.xx[yb + xb]
                    xy[i] += w00 * h.xy[ya + xa] + w10 * h.xy[ya + xb] + w01 * h.xy[yb + xa] + w11 * h.xy[yb + xb]
                    yy[i] += w00 * h.yy[ya + xa] + w10 * h.yy[ya + xb] + w01 * h.yy[yb + xa] + w11 * h.yy[yb + xb]
                }
            }
        }
        return (xx, xy, yy)
    }

    /// Robust standard deviation of a map: 1.4826 × its median absolute deviation.
    static func noise(_ values: [Float]) -> Float {
        let sorted = values.sorted()
        let median = sorted[sorted.count / 2]
        let dev = values.map { abs($0 - median) }.sorted()
        return 1.4826 * dev[dev.count / 2]
    }
}

/// The sweep's ridge response at any point, scale and depth: the views' Hessians sampled where a
/// point at that depth appears in each and averaged, its larger eigenvalue over the noise of
/// the nearest swept slice, as robust standard deviations above that slice's median.
public struct STEM4DRidgeField: Sendable {
    public var views: [STEM4DLineView]
    /// Per scale, per view.
    public var hessians: [[STEM4DHessian]]
    public var depths: [Double]
    /// Per scale, per depth step: median and spread of λ/noise, and the noise of Lxx.
    public var statistics: [[(median: Float, sigma: Float, noise: Float)]]

    /// Response and ridge normal at (x, y) for scale index `k` and depth `z`.
    public func response(_ x: Double, _ y: Double, scale k: Int, z: Double) -> (score: Double, nx: Double, ny: Double) {
        var xx = 0.0, xy = 0.0, yy = 0.0
        for (h, v) in zip(hessians[k], views) {
            let sx = x - z * v.tx, sy = y - z * v.ty
            let x0 = min(max(Int(sx.rounded(.down)), 0), h.cols - 1), y0 = min(max(Int(sy.rounded(.down)), 0), h.rows - 1)
            let x1 = min(x0 + 1, h.cols - 1), y1 = min(y0 + 1, h.rows - 1)
            let fx = min(max(sx - Double(x0), 0), 1), fy = min(max(sy - Double(y0), 0), 1)
            func at(_ a: [Float]) -> Double {
                (Double(a[y0 * h.cols + x0]) * (1 - fx) + Double(a[y0 * h.cols + x1]) * fx) * (1 - fy)
                    + (Double(a[y1 * h.cols + x0]) * (1 - fx) + Double(a[y1 * h.cols + x1]) * fx) * fy
            }
            xx += at(h.xx); xy += at(h.xy); yy += at(h.yy)
        }
        let c = Double(views.count)
        let r = STEM4DHessian.ridge(Float(xx / c), Float(xy / c), Float(yy / c))
        let step = depths.count > 1 ? depths[1] - depths[0] : 1
        let j = min(max(Int(((z - depths[0]) / step).rounded()), 0), depths.count - 1)
        let st = statistics[k][j]
        return ((Double(r.lambda) / Double(st.noise) - Double(st.median)) / Double(st.sigma), Double(r.nx), Double(r.ny))
    }
}
