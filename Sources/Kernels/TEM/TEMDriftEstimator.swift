#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Global stage drift of a frame against a reference frame by band-passed cross-correlation in
/// Fourier space: both are
/// binned to an n×n grid (n ≤ 128 bins of up to side/256 px over the central square), Hann-windowed, transformed; the
/// cross-power spectrum, band-passed (no illumination ramps, no pixel noise), is
/// transformed back and its peak located with sub-bin interpolation. The static
/// specimen texture dominates the peak; moving dislocations are a small part of the image.
public struct TEMDriftEstimator: Sendable {
    public let width: Int
    public let height: Int
    /// Pixels per bin, grid size and the grid's top-left pixel.
    let bin: Int, n: Int, x0: Int, y0: Int
    private let fft: FFT2D
    private let window: [Float]
    private let bandPass: [Float]
    /// 1 / the window's normalised autocorrelation at each shift: the windowed images overlap
    /// less as the shift grows, which pulls a broad correlation peak towards 0 unless undone.
    private let overlapGain: [Float]
    /// The reference's spectrum (conjugated) and a workspace.
    private var refRe: [Float] = [], refIm: [Float] = []
    private var re: [Float], im: [Float]

    /// A frame smaller than 32 px on a side has no estimate (drift 0). `halfSize`
    /// (`TEMRegistration.Config.halfSize`): bins twice as wide over the same central square (a
    /// 64² transform at 512², a quarter of the work), the band-pass the same in pixels.
    public init(reference: UnsafeBufferPointer<Float>, width: Int, height: Int, halfSize: Bool = false) {
        self.width = width
        self.height = height
        let side = min(width, height)
        // Two pixels per bin over the central 256 px of a 512 frame: drift resolution matters
        // more than the area (the specimen texture fills any part of the frame).
        let largest = halfSize ? 64 : 128
        bin = max(1, side / (2 * largest))
        // The band-pass below is in cycles per bin: with wider bins its limits move up by the
        // bins' ratio, so it passes the same periods in pixels.
        let band = Double(bin) / Double(max(1, side / 256))
        var size = 8
        while size * 2 * bin <= side && size < largest { size *= 2 }
        n = side >= 32 ? size : 0
        x0 = (width - n * bin) / 2
        y0 = (height - n * bin) / 2
        let transform = FFT2D(n: max(8, n))
        fft = transform
        let m = max(8, n)
        let hann = (0..<m).map { Float(0.5 - 0.5 * cos(2 * Double.pi * (Double($0) + 0.5) / Double(m))) }
        window = (0..<(m * m)).map { hann[$0 / m] * hann[$0 % m] }
        bandPass = (0..<(m * m)).map { i in
            func f(_ k: Int) -> Double { Double(k <= m / 2 ? k : k - m) / Double(m) }
            let r2 = f(i % m) * f(i % m) + f(i / m) * f(i / m)
            // Periods from ≈ 7 bins to 100 (beyond: the illumination, fixed to the camera).
            let low = 0.01 * band, high = 0.15 * band
            return Float((1 - exp(-r2 / (low * low))) * exp(-r2 / (high * high)))
        }
        var wr = window, wi = [Float](repeating: 0, count: m * m)
        wr.withUnsafeMutableBufferPointer { r in wi.withUnsafeMutableBufferPointer { i in
            transform.transform(re: r.baseAddress!, im: i.baseAddress!, inverse: false)
            for k in 0..<(m * m) { r[k] = r[k] * r[k] + i[k] * i[k]; i[k] = 0 }
            transform.transform(re: r.baseAddress!, im: i.baseAddress!, inverse: true)
        } }
        let peak = max(wr[0], .leastNormalMagnitude)
        overlapGain = wr.map { peak / max($0, 0.2 * peak) }
        re = [Float](repeating: 0, count: m * m)
        im = re
        guard n > 0 else { return }
        spectrum(of: reference)
        refRe = re
        refIm = im.map { -$0 }
    }

    /// The shift (px) of `frame`'s content relative to the reference: a feature at p in the
    /// reference is at p + drift in `frame`.
    public mutating func drift(_ frame: UnsafeBufferPointer<Float>) -> TEMPoint {
        guard n > 0, frame.count >= width * height else { return .zero }
        spectrum(of: frame)
        let count = n * n
        // Not whitened: each frequency weighs by its power in both frames, so the specimen's
        // strong static mottling dominates and the per-frame noise (strong at the periods
        // where the mottling is weak) does not (plain cross-correlation, the maximum-
        // likelihood estimate under white noise; pure phase correlation was 1–15 px off).
        re.withUnsafeMutableBufferPointer { r in im.withUnsafeMutableBufferPointer { m in
            refRe.withUnsafeBufferPointer { cr in refIm.withUnsafeBufferPointer { ci in bandPass.withUnsafeBufferPointer { bp in
                Self.crossPower(re: r.baseAddress!, im: m.baseAddress!, refRe: cr.baseAddress!, refIm: ci.baseAddress!,
                                bandPass: bp.baseAddress!, count: count)
            } } }
            fft.transform(re: r.baseAddress!, im: m.baseAddress!, inverse: true)
        } }
        let best = re.withUnsafeMutableBufferPointer { r in
            overlapGain.withUnsafeBufferPointer { Self.peak(r.baseAddress!, gain: $0.baseAddress!, count: count) }
        }
        let px = best % n, py = best / n
        func at(_ x: Int, _ y: Int) -> Double { Double(re[((y + n) % n) * n + (x + n) % n]) }
        // The Gaussian band-pass makes the peak a Gaussian about 1.5 bins wide: a parabola
        // through the logarithms of three samples is exact for it.
        func vertex(_ l: Double, _ c: Double, _ r: Double) -> Double {
            guard l > 0, c > 0, r > 0 else { return 0 }
            let a = log(l), b = log(c), e = log(r)
            let d = a - 2 * b + e
            return d < 0 ? max(-0.5, min(0.5, 0.5 * (a - e) / d)) : 0
        }
        let dx = vertex(at(px - 1, py), at(px, py), at(px + 1, py))
        let dy = vertex(at(px, py - 1), at(px, py), at(px, py + 1))
        let sx = Double(px > n / 2 ? px - n : px) + dx, sy = Double(py > n / 2 ? py - n : py) + dy
        return TEMPoint(sx, sy) * Double(bin)
    }

    /// The band-passed cross-power spectrum in place: (re + i·im)·conj-reference (`refIm` is
    /// already negated), times `bandPass`, eight frequencies at a time — each the plain loop's
    /// operations in its order (`crossPowerReference`, the twin), so the same bits.
    static func crossPower(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, refRe: UnsafePointer<Float>,
                           refIm: UnsafePointer<Float>, bandPass: UnsafePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var i = 0
        while i + 8 <= count {
            let a = load(re + i), b = load(im + i), c = load(refRe + i), d = load(refIm + i), s = load(bandPass + i)
            let pr: V = a * c - b * d, pi: V = a * d + b * c
            UnsafeMutableRawPointer(re + i).storeBytes(of: pr * s, as: V.self)
            UnsafeMutableRawPointer(im + i).storeBytes(of: pi * s, as: V.self)
            i += 8
        }
        while i < count {
            let a = re[i], b = im[i], c = refRe[i], d = refIm[i]
            let pr = a * c - b * d, pi = a * d + b * c
            re[i] = pr * bandPass[i]
            im[i] = pi * bandPass[i]
            i += 1
        }
    }

    /// The plain loop (the twin of `crossPower`).
    static func crossPowerReference(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, refRe: UnsafePointer<Float>,
                                    refIm: UnsafePointer<Float>, bandPass: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let a = re[i], b = im[i], c = refRe[i], d = refIm[i]
            let pr = a * c - b * d, pi = a * d + b * c
            let s = bandPass[i]
            re[i] = pr * s
            im[i] = pi * s
        }
    }

    /// Multiplies `values` by `gain` in place and returns the first index of their largest
    /// (index 0 when none is larger than the first: the plain loop's rule, NaNs never win).
    static func peak(_ values: UnsafeMutablePointer<Float>, gain: UnsafePointer<Float>, count: Int) -> Int {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(values + i).loadUnaligned(as: V.self) * UnsafeRawPointer(gain + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(values + i).storeBytes(of: v, as: V.self)
            i += 8
        }
        while i < count { values[i] *= gain[i]; i += 1 }
        var best = 0, top = values[0]
        for k in 1..<max(1, count) where values[k] > top {
            best = k
            top = values[k]
        }
        return best
    }

    /// The plain loops (the twin of `peak`).
    static func peakReference(_ values: UnsafeMutablePointer<Float>, gain: UnsafePointer<Float>, count: Int) -> Int {
        for i in 0..<count { values[i] *= gain[i] }
        var best = 0
        for i in 1..<max(1, count) where values[i] > values[best] { best = i }
        return best
    }

    /// Bins, removes the mean, windows and transforms `frame` into `re`/`im`.
    private mutating func spectrum(of frame: UnsafeBufferPointer<Float>) {
        let n = self.n, bin = self.bin, w = width
        let scale = 1 / Float(bin * bin)
        // The bins eight at a time (`DriftBinning`, each the plain loop's bit for bit), then their
        // sum in the plain loop's order.
        let (x0, y0) = (self.x0, self.y0)
        re.withUnsafeMutableBufferPointer { out in
            DriftBinning.mean(frame.baseAddress!, width: w, x0: x0, y0: y0, bin: bin, columns: n, rows: n,
                              scale: scale, into: out.baseAddress!)
        }
        var sum: Float = 0
        for k in 0..<(n * n) { sum += re[k] }
        let mean = sum / Float(n * n)
        re.withUnsafeMutableBufferPointer { r in im.withUnsafeMutableBufferPointer { m in
            window.withUnsafeBufferPointer { wp in
                for k in 0..<(n * n) { r[k] = (r[k] - mean) * wp[k]; m[k] = 0 }
            }
            fft.transform(re: r.baseAddress!, im: m.baseAddress!, inverse: false)
        } }
    }

    /// The plain reference: the integer shift (within ±`radius` px) maximising the normalised
    /// cross-correlation of the two frames' overlapping central parts, refined by a parabola
    /// through its neighbours. Slow; for tests.
    public static func referenceDrift(reference: [Float], frame: [Float], width: Int, height: Int, radius: Int) -> TEMPoint {
        func ncc(_ sx: Int, _ sy: Int) -> Double {
            var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0, k = 0.0
            for y in max(radius, radius + sy)..<min(height - radius, height - radius + sy) {
                for x in max(radius, radius + sx)..<min(width - radius, width - radius + sx) {
                    let a = Double(reference[(y - sy) * width + x - sx]), b = Double(frame[y * width + x])
                    sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; k += 1
                }
            }
            let cov = sab - sa * sb / k, va = saa - sa * sa / k, vb = sbb - sb * sb / k
            return va > 0 && vb > 0 ? cov / (va * vb).squareRoot() : 0
        }
        var best = (x: 0, y: 0, v: -Double.infinity)
        for sy in -radius...radius { for sx in -radius...radius { let v = ncc(sx, sy); if v > best.v { best = (sx, sy, v) } } }
        func vertex(_ l: Double, _ c: Double, _ r: Double) -> Double {
            let d = l - 2 * c + r
            return d < 0 ? max(-0.5, min(0.5, 0.5 * (l - r) / d)) : 0
        }
        return TEMPoint(Double(best.x) + vertex(ncc(best.x - 1, best.y), best.v, ncc(best.x + 1, best.y)),
                        Double(best.y) + vertex(ncc(best.x, best.y - 1), best.v, ncc(best.x, best.y + 1)))
    }
}
