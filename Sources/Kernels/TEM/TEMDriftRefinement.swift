#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Robust sub-pixel refinement of a global shift between two frames (Lucas–Kanade for a
/// translation, with Tukey's biweight on the residuals): the frames are binned to a grid of about
/// 128 bins a side and band-passed (difference of Gaussians: no pixel noise, no illumination),
/// and the shift minimises Σ ρ(F(p + d) − R(p)). The residuals' scale is measured on the frame
/// pair itself (median absolute residual), so pixels that changed between the frames — moving
/// dislocations, which plain cross-correlation follows — weigh nothing, while the static
/// specimen texture that carries the stage drift decides the shift. The fit also gives the
/// shift's covariance (pixel noise plus a cluster-robust term over 16×16-bin blocks), from
/// which `TEMRegistration` tells a stage move from estimator noise.
public enum TEMDriftRefinement {
    /// A band-passed, binned frame with its central-difference gradients (bins).
    public struct Grid: Sendable {
        public let width: Int, height: Int
        /// Pixels per bin.
        public let bin: Int
        public var values: [Float]
        public var gx: [Float], gy: [Float]
        /// 0 on bins near a detected dislocation (they move on their own: not evidence of the
        /// stage), 1 elsewhere; empty when no lines were given.
        public var mask: [Float] = []

        /// The same frame at half the resolution (2×2 bins pooled; a bin is masked when any of
        /// its four is): the coarse level of `TEMRegistration`'s coarse-to-fine search. Nil below
        /// 48 bins a side (too few bins left to fit). `gradients: false` leaves `gx`, `gy` empty.
        public func halved(gradients withGradients: Bool = true) -> Grid? {
            let hw = width / 2, hh = height / 2
            guard min(hw, hh) >= 24 else { return nil }
            var v = [Float](repeating: 0, count: hw * hh)
            var m: [Float] = mask.isEmpty ? [] : [Float](repeating: 1, count: hw * hh)
            values.withUnsafeBufferPointer { src in
                for j in 0..<hh {
                    let a = src.baseAddress! + 2 * j * width, b = a + width
                    for i in 0..<hw {
                        v[j * hw + i] = 0.25 * (a[2 * i] + a[2 * i + 1] + b[2 * i] + b[2 * i + 1])
                    }
                }
            }
            if !mask.isEmpty {
                for j in 0..<hh {
                    for i in 0..<hw {
                        let k = 2 * j * width + 2 * i
                        m[j * hw + i] = min(min(mask[k], mask[k + 1]), min(mask[k + width], mask[k + width + 1]))
                    }
                }
            }
            guard withGradients else { return Grid(width: hw, height: hh, bin: 2 * bin, values: v, gx: [], gy: [], mask: m) }
            let (gx, gy) = TEMDriftRefinement.gradients(v, width: hw, height: hh)
            return Grid(width: hw, height: hh, bin: 2 * bin, values: v, gx: gx, gy: gy, mask: m)
        }

        /// Computes `gx` and `gy` if the grid was made without them (`grid(…, gradients: false)`):
        /// the same values as a grid made with them.
        public mutating func addGradients() {
            guard gx.isEmpty else { return }
            (gx, gy) = TEMDriftRefinement.gradients(values, width: width, height: height)
        }

        /// Masks (weight 0) the bins within `radius` bins of `lines` (polylines in pixels of
        /// the frame this grid was made from).
        public mutating func maskLines(_ lines: [[TEMPoint]], radius: Int = TEMDriftRefinement.lineRadius) {
            if mask.isEmpty { mask = [Float](repeating: 1, count: width * height) }
            let scale = 1 / Double(bin)
            func mark(_ p: TEMPoint) {
                // Bin centres sit at pixel (i + 0.5) × bin.
                let cx = Int((p.x * scale - 0.5).rounded()), cy = Int((p.y * scale - 0.5).rounded())
                let ylo = max(0, cy - radius), yhi = min(height - 1, cy + radius)
                let xlo = max(0, cx - radius), xhi = min(width - 1, cx + radius)
                guard ylo <= yhi, xlo <= xhi else { return }
                for y in ylo...yhi {
                    for x in xlo...xhi { mask[y * width + x] = 0 }
                }
            }
            for line in lines {
                guard let first = line.first else { continue }
                mark(first)
                for (a, b) in zip(line, line.dropFirst()) {
                    // Steps of at most half a bin, so no bin along the segment is skipped.
                    let steps = max(1, Int((TEMPolyline.norm(b - a) * scale * 2).rounded(.up)))
                    for k in 1...steps { mark(a + (b - a) * (Double(k) / Double(steps))) }
                }
            }
        }
    }

    /// The outcome of a refinement (all in bins).
    public struct Fit: Sendable, Equatable {
        /// F(p + shift) ≈ R(p).
        public var shift: TEMPoint
        /// Robust scale of the residuals (1.4826 × median |r|): the fit's loss, comparable
        /// between starts on the same pair.
        public var scale: Double
        /// Covariance of `shift` (xx, xy, yy): pixel noise plus the spread of the blocks' pulls.
        public var covariance: SIMD3<Double>
    }

    /// Fine and wide Gaussian σ of the band-pass, in bins (4 px and 24 px at 512²).
    static let fineSigma = 1.0, wideSigma = 6.0
    /// Area (bins) over which band-passed residuals are correlated (4πσ² of the fine blur):
    /// the number of independent residuals is the pixel count over this.
    static let correlatedArea = 4 * Double.pi * fineSigma * fineSigma
    /// Bins ignored at the border (the blurs replicate the edge there).
    static let border = 4
    /// Side (bins, a multiple of 8) of the blocks whose score dispersion measures how far
    /// spatially coherent changes (a moved line crosses a few blocks) can pull the shift.
    static let blockSide = 16
    /// Half-width (bins) of the band masked around a detected line: the fine blur (σ 1 bin)
    /// spreads a line's band-passed response over ±2 bins (e^{-2} of its peak at 2 bins).
    public static let lineRadius = 2
    /// Residual written for a masked bin: far outside any band-passed value, so Tukey's weight
    /// is exactly 0 there, and skipped by the robust scale.
    static let maskedResidual: Float = 1e6

    /// Bins `frame` (width×height) to about 128 bins a side and band-passes it; with `lines`
    /// (the detector's curves, pixels) the bins near them are masked (`Grid.maskLines`). Only
    /// the weights: leaving the lines out of the band-pass as well (normalised convolution) was
    /// measured and did worse on the presets (medium seed 1: 0 → 9 of 60 frames with a false
    /// drift, hard seed 1: 0 → 9; docs/tem.md).
    /// `gradients: false` leaves `gx` and `gy` empty (`Grid.addGradients` computes them later):
    /// `refine` reads the reference's gradients only, so a frame's grid never needs them, nor
    /// does a reference grid that is only halved (`TEMRegistration.Config.halfSize`).
    public static func grid(_ frame: UnsafeBufferPointer<Float>, width: Int, height: Int, lines: [[TEMPoint]],
                            gradients: Bool = true) -> Grid {
        var g = grid(frame, width: width, height: height, gradients: gradients)
        if !lines.isEmpty { g.maskLines(lines) }
        return g
    }

    /// Bins `frame` (width×height) to about 128 bins a side and band-passes it (without `gx`, `gy`
    /// when `gradients` is false).
    public static func grid(_ frame: UnsafeBufferPointer<Float>, width: Int, height: Int, gradients withGradients: Bool = true) -> Grid {
        let bin = max(1, min(width, height) / 128)
        let gw = width / bin, gh = height / bin
        var binned = [Float](repeating: 0, count: gw * gh)
        let scale = 1 / Float(bin * bin)
        // Eight bins at a time, each the plain loop's sum bit for bit (`DriftBinning.meanReference`).
        if let base = frame.baseAddress, gw > 0, gh > 0 {
            binned.withUnsafeMutableBufferPointer { out in
                DriftBinning.mean(base, width: width, x0: 0, y0: 0, bin: bin, columns: gw, rows: gh,
                                  scale: scale, into: out.baseAddress!)
            }
        }
        var fine = binned, wide = binned
        binned.withUnsafeBufferPointer { src in
            fine.withUnsafeMutableBufferPointer {
                GaussianFilter.blurSymmetric(src, width: gw, height: gh, kernel: GaussianFilter.kernel(sigma: fineSigma, order: 0), into: $0)
            }
            wide.withUnsafeMutableBufferPointer {
                GaussianFilter.blurSymmetric(src, width: gw, height: gh, kernel: GaussianFilter.kernel(sigma: wideSigma, order: 0), into: $0)
            }
        }
        let values = zip(fine, wide).map { $0 - $1 }
        guard withGradients else { return Grid(width: gw, height: gh, bin: bin, values: values, gx: [], gy: []) }
        let (gx, gy) = gradients(values, width: gw, height: gh)
        return Grid(width: gw, height: gh, bin: bin, values: values, gx: gx, gy: gy)
    }

    /// Central-difference gradients (0 on the outermost bins).
    static func gradients(_ values: [Float], width gw: Int, height gh: Int) -> (gx: [Float], gy: [Float]) {
        var gx = [Float](repeating: 0, count: gw * gh), gy = gx
        values.withUnsafeBufferPointer { v in
            for j in 1..<max(1, gh - 1) {
                for i in 1..<max(1, gw - 1) {
                    gx[j * gw + i] = 0.5 * (v[j * gw + i + 1] - v[j * gw + i - 1])
                    gy[j * gw + i] = 0.5 * (v[(j + 1) * gw + i] - v[(j - 1) * gw + i])
                }
            }
        }
        return (gx, gy)
    }

    /// Refines the shift of `frame` against `reference` from `start` (bins; Gauss–Newton with
    /// iteratively re-weighted residuals). Nil when the start leaves too little overlap or the
    /// texture does not constrain a shift (a flat frame).
    public static func refine(reference: Grid, frame: Grid, start: TEMPoint, iterations: Int = 12) -> Fit? {
        guard reference.width == frame.width, reference.height == frame.height else { return nil }
        var d = start
        var scale = 0.0
        var h = SIMD3<Double>(0, 0, 0)
        var sumW = 0.0, sumWR2 = 0.0
        var blocks: [TEMPoint] = []
        for iteration in 0..<iterations {
            guard let residuals = self.residuals(reference: reference, frame: frame, shift: d) else { return nil }
            scale = robustScale(residuals.values)
            guard scale > 0 else { return nil }
            let c = Float(4.685 * scale)
            let step = accumulate(reference: reference, residuals: residuals, cutoff: c)
            h = step.hessian
            sumW = step.sumW
            sumWR2 = step.sumWR2
            blocks = step.blockScores
            let det = h.x * h.z - h.y * h.y
            guard det > 1e-12 * max(1e-30, h.x * h.z) else { return nil }
            // δ = −H⁻¹ b
            let delta = TEMPoint(-(h.z * step.b.x - h.y * step.b.y) / det, -(h.x * step.b.y - h.y * step.b.x) / det)
            d += delta
            // 0.01 bin (0.04 px at 512²): well below the estimator's own spread.
            if (delta * delta).sum() < 1e-4 && iteration > 0 { break }
        }
        guard let final = residuals(reference: reference, frame: frame, shift: d) else { return nil }
        scale = robustScale(final.values)
        let det = h.x * h.z - h.y * h.y
        guard det > 0, sumW > 0 else { return nil }
        let inverse = SIMD3(h.z, -h.y, h.x) / det
        // Pixel noise (white, correlated over the fine blur) plus the cluster-robust (sandwich)
        // term H⁻¹ (Σ s_b s_bᵀ) H⁻¹ over blocks: a shift that only a few blocks pull towards
        // (moved lines the weights did not fully reject) gets a covariance as large as itself.
        let white = inverse * (sumWR2 / sumW * correlatedArea)
        var meat = SIMD3<Double>(0, 0, 0)
        for s in blocks { meat += SIMD3(s.x * s.x, s.x * s.y, s.y * s.y) }
        let covariance = white + sandwich(inverse, meat)
        return Fit(shift: d, scale: scale, covariance: covariance)
    }

    /// A·M·A for symmetric 2×2 matrices stored as (xx, xy, yy).
    static func sandwich(_ a: SIMD3<Double>, _ m: SIMD3<Double>) -> SIMD3<Double> {
        // (A M) then (A M) A
        let p = (xx: a.x * m.x + a.y * m.y, xy: a.x * m.y + a.y * m.z, yx: a.y * m.x + a.z * m.y, yy: a.y * m.y + a.z * m.z)
        return SIMD3(p.xx * a.x + p.xy * a.y, p.xx * a.y + p.xy * a.z, p.yx * a.y + p.yy * a.z)
    }

    /// Residuals F(p + shift) − R(p) over the reference bins whose shifted position lies inside
    /// the frame (bilinear: the shift is global, so its fraction is one for every bin and rows
    /// are contiguous).
    struct Residuals {
        var values: [Float]
        /// The reference rows and columns covered.
        var x0: Int, x1: Int, y0: Int, y1: Int
    }

    static func residuals(reference: Grid, frame: Grid, shift: TEMPoint) -> Residuals? {
        let w = reference.width, hgt = reference.height
        guard shift.x.isFinite, shift.y.isFinite, abs(shift.x) < Double(w) / 2, abs(shift.y) < Double(hgt) / 2 else { return nil }
        let ix = Int(shift.x.rounded(.down)), iy = Int(shift.y.rounded(.down))
        let fx = Float(shift.x - Double(ix)), fy = Float(shift.y - Double(iy))
        let x0 = max(border, border - ix), x1 = min(w - border, w - border - ix - 1)
        let y0 = max(border, border - iy), y1 = min(hgt - border, hgt - border - iy - 1)
        guard x1 - x0 >= 16, y1 - y0 >= 16 else { return nil }
        let cols = x1 - x0
        var out = [Float](repeating: 0, count: cols * (y1 - y0))
        typealias V = SIMD8<Float>
        let a = (1 - fx) * (1 - fy), b = fx * (1 - fy), c = (1 - fx) * fy, e = fx * fy
        frame.values.withUnsafeBufferPointer { fv in reference.values.withUnsafeBufferPointer { rv in out.withUnsafeMutableBufferPointer { o in
            let f = fv.baseAddress!, r = rv.baseAddress!, op = o.baseAddress!
            for y in y0..<y1 {
                let top = f + (y + iy) * w + ix, bottom = top + w, ref = r + y * w, row = op + (y - y0) * cols
                var x = x0
                while x + 8 <= x1 {
                    let t0: V = UnsafeRawPointer(top + x).loadUnaligned(as: V.self)
                    let t1: V = UnsafeRawPointer(top + x + 1).loadUnaligned(as: V.self)
                    let b0: V = UnsafeRawPointer(bottom + x).loadUnaligned(as: V.self)
                    let b1: V = UnsafeRawPointer(bottom + x + 1).loadUnaligned(as: V.self)
                    let rv: V = UnsafeRawPointer(ref + x).loadUnaligned(as: V.self)
                    var v: V = t0 * a
                    v += t1 * b
                    v += b0 * c
                    v += b1 * e
                    UnsafeMutableRawPointer(row + x - x0).storeBytes(of: v - rv, as: V.self)
                    x += 8
                }
                while x < x1 {
                    row[x - x0] = top[x] * a + top[x + 1] * b + bottom[x] * c + bottom[x + 1] * e - ref[x]
                    x += 1
                }
            }
        } } }
        if !reference.mask.isEmpty || !frame.mask.isEmpty {
            // A bin is left out where either frame has a line: the reference's at p, the
            // frame's at the nearest bin to p + shift (the band is wider than that rounding).
            let sx = Int(shift.x.rounded()), sy = Int(shift.y.rounded())
            for y in y0..<y1 {
                let row = (y - y0) * cols - x0
                if !reference.mask.isEmpty {
                    for x in x0..<x1 where reference.mask[y * w + x] == 0 { out[row + x] = maskedResidual }
                }
                if !frame.mask.isEmpty {
                    let frow = (y + sy) * w + sx
                    for x in x0..<x1 where frame.mask[frow + x] == 0 { out[row + x] = maskedResidual }
                }
            }
        }
        return Residuals(values: out, x0: x0, x1: x1, y0: y0, y1: y1)
    }

    /// Tukey-weighted normal equations: H = Σ w ∇R∇Rᵀ (xx, xy, yy), b = Σ w ∇R r.
    static func accumulate(reference: Grid, residuals: Residuals, cutoff c: Float)
        -> (hessian: SIMD3<Double>, b: TEMPoint, sumW: Double, sumWR2: Double, blockScores: [TEMPoint]) {
        typealias V = SIMD8<Float>
        let w = reference.width, cols = residuals.x1 - residuals.x0
        let inv = 1 / (c * c)
        var hxx = 0.0, hxy = 0.0, hyy = 0.0, bx = 0.0, by = 0.0, sw = 0.0, swr = 0.0
        let blocksX = (cols + blockSide - 1) / blockSide
        var blocks = [TEMPoint](repeating: .zero, count: blocksX * ((residuals.y1 - residuals.y0 + blockSide - 1) / blockSide))
        reference.gx.withUnsafeBufferPointer { gxb in reference.gy.withUnsafeBufferPointer { gyb in residuals.values.withUnsafeBufferPointer { rb in
            for y in residuals.y0..<residuals.y1 {
                let blockRow = (y - residuals.y0) / blockSide * blocksX
                let gxr = gxb.baseAddress! + y * w, gyr = gyb.baseAddress! + y * w
                let rr = rb.baseAddress! + (y - residuals.y0) * cols - residuals.x0
                var axx = V(), axy = V(), ayy = V(), abx = V(), aby = V(), aw = V(), awr = V()
                var x = residuals.x0
                while x + 8 <= residuals.x1 {
                    let r = UnsafeRawPointer(rr + x).loadUnaligned(as: V.self)
                    let gx = UnsafeRawPointer(gxr + x).loadUnaligned(as: V.self)
                    let gy = UnsafeRawPointer(gyr + x).loadUnaligned(as: V.self)
                    let q: V = r * r * inv
                    let u: V = (V(repeating: 1) - q).replacing(with: 0, where: q .>= 1)
                    let wt: V = u * u
                    let wgx: V = wt * gx, wgy: V = wt * gy
                    axx += wgx * gx; axy += wgx * gy; ayy += wgy * gy
                    let sx: V = wgx * r, sy: V = wgy * r
                    abx += sx; aby += sy; aw += wt; awr += wt * q
                    blocks[blockRow + (x - residuals.x0) / blockSide] += TEMPoint(Double(sx.sum()), Double(sy.sum()))
                    x += 8
                }
                hxx += Double(axx.sum()); hxy += Double(axy.sum()); hyy += Double(ayy.sum())
                bx += Double(abx.sum()); by += Double(aby.sum()); sw += Double(aw.sum()); swr += Double(awr.sum()) * Double(c * c)
                while x < residuals.x1 {
                    let r = rr[x], gx = gxr[x], gy = gyr[x]
                    let u = max(0, 1 - r * r * inv), wt = Double(u * u)
                    hxx += wt * Double(gx * gx); hxy += wt * Double(gx * gy); hyy += wt * Double(gy * gy)
                    bx += wt * Double(gx * r); by += wt * Double(gy * r); sw += wt; swr += wt * Double(r * r)
                    blocks[blockRow + (x - residuals.x0) / blockSide] += TEMPoint(wt * Double(gx * r), wt * Double(gy * r))
                    x += 1
                }
            }
        } } }
        return (SIMD3(hxx, hxy, hyy), TEMPoint(bx, by), sw, swr, blocks)
    }

    /// 1.4826 × the median of |r| over a strided sample of about 4,000 residuals (masked bins
    /// left out). The median by counting the values' bits (`RadixSelection`), not a sort: it runs
    /// every iteration. The same value as `robustScaleReference` (Hoare's selection), the twin.
    static func robustScale(_ values: [Float]) -> Double {
        guard var sample = robustSample(values) else { return 0 }
        return 1.4826 * Double(sample.withUnsafeMutableBufferPointer { RadixSelection.select($0.baseAddress!, count: $0.count, $0.count / 2) })
    }

    /// `robustScale` with Hoare's selection (`Selection.select`): the twin, for tests and `ctl bench tem`.
    static func robustScaleReference(_ values: [Float]) -> Double {
        guard var sample = robustSample(values) else { return 0 }
        return 1.4826 * Double(Selection.select(&sample, sample.count / 2))
    }

    /// The |residuals| `robustScale` takes the median of: every `values.count / 4096`-th, masked
    /// bins left out; nil when none is left.
    static func robustSample(_ values: [Float]) -> [Float]? {
        guard !values.isEmpty else { return nil }
        let stride = max(1, values.count / 4096)
        var sample: [Float] = []
        sample.reserveCapacity(values.count / stride + 1)
        var i = 0
        while i < values.count {
            let a = abs(values[i])
            if a < maskedResidual { sample.append(a) }
            i += stride
        }
        return sample.isEmpty ? nil : sample
    }

    /// The plain reference: Tukey's loss Σ ρ(F(p + d) − R(p)) at `shift` over the same bins, the
    /// scale fixed, with bilinear interpolation written out per bin. Slow; for tests (the refined
    /// shift must be the loss's minimum).
    public static func referenceLoss(reference: Grid, frame: Grid, shift: TEMPoint, scale: Double, bins: (x0: Int, x1: Int, y0: Int, y1: Int)) -> Double {
        let c = 4.685 * scale, w = reference.width
        var loss = 0.0
        for y in bins.y0..<bins.y1 {
            for x in bins.x0..<bins.x1 {
                let px = Double(x) + shift.x, py = Double(y) + shift.y
                let ix = Int(px.rounded(.down)), iy = Int(py.rounded(.down))
                let fx = px - Double(ix), fy = py - Double(iy)
                func at(_ i: Int, _ j: Int) -> Double { Double(frame.values[j * w + i]) }
                let v = (at(ix, iy) * (1 - fx) + at(ix + 1, iy) * fx) * (1 - fy) + (at(ix, iy + 1) * (1 - fx) + at(ix + 1, iy + 1) * fx) * fy
                let r = v - Double(reference.values[y * w + x])
                let u = r / c
                loss += abs(u) < 1 ? c * c / 6 * (1 - pow(1 - u * u, 3)) : c * c / 6
            }
        }
        return loss
    }
}
