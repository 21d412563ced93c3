/// The per-frame hot loop: background estimate, Poisson threshold and the weighted moments of
/// the pixels above it, in three passes over one detector frame (the first brings the frame
/// into cache; the others run from it). Frames hold photon counts of any `STEM4DPixel` type,
/// loaded 16 at a time and widened to `Float` in registers.
///
/// 1. mean m of the frame;
/// 2. background b = mean of the pixels at or below the Poisson(m) upper 1e-4 quantile (the
///    Bragg peak inflates m; clipping it out leaves the background), repeated with b for m
///    until the clip level settles;
/// 3. keep pixels above t = the Poisson(b) quantile at which `falseAlarms` background pixels
///    per frame are expected to pass, with weight value − b; chunks of 16 with no pixel above t
///    cost one compare.
///
/// `NanodiffMomentReference` is the plain twin it is tested against.
public enum NanodiffMomentKernel {
    /// Tail probability of the clipping pass.
    public static let clipTail = 1e-4
    /// Clipping rounds at most (each one pass; a frame whose peak is sparse settles in one or two).
    public static let clipRounds = 4

    /// Moments of the `width`×`height` frame at `frame` (row-major, rows contiguous).
    /// A frame holding NaN or ±∞ returns a NaN background (the caller reports the file).
    public static func frame(_ frame: UnsafePointer<UInt16>, width: Int, height: Int, falseAlarms: Double) -> NanodiffFrameMoments {
        moments(frame, width: width, height: height, falseAlarms: falseAlarms)
    }

    /// The same for float32 frames (integrating detectors, corrected data).
    public static func frame(_ frame: UnsafePointer<Float>, width: Int, height: Int, falseAlarms: Double) -> NanodiffFrameMoments {
        moments(frame, width: width, height: height, falseAlarms: falseAlarms)
    }

    static func moments<T: STEM4DPixel>(_ frame: UnsafePointer<T>, width: Int, height: Int, falseAlarms: Double) -> NanodiffFrameMoments {
        var result = NanodiffFrameMoments()
        let n = width * height
        guard n > 0 else { return result }
        let full = width & ~15
        // Pass 1: the mean.
        var total = 0.0
        for y in 0..<height {
            let row = frame + y * width
            var acc = SIMD16<Float>()
            var x = 0
            while x < full { acc += row.stem4dLoad16(x); x += 16 }
            var s = Double(acc.sum())
            while x < width { s += row[x].doubleValue; x += 1 }
            total += s
        }
        guard total.isFinite else {
            result.background = .nan
            return result
        }
        let mean = total / Double(n)
        // Pass 2 (repeated until the clip level settles, at most `clipRounds` times): the
        // background, the peak clipped out. A bright peak inflates the mean, so the first clip
        // keeps its tails; each round's mean sets a lower clip.
        var background = mean
        var clip = NanodiffPoissonThreshold.upper(mean: mean, tail: clipTail)
        for _ in 0..<clipRounds {
            let (s, c) = clippedSum(frame, width: width, height: height, clip: Float(clip))
            background = c > 0 ? s / Double(c) : mean
            let next = NanodiffPoissonThreshold.upper(mean: background, tail: clipTail)
            if next == clip { break }
            clip = next
        }
        let threshold = NanodiffPoissonThreshold.upper(mean: background, tail: falseAlarms / Double(n))
        result.background = background
        result.threshold = threshold
        accumulate(frame, width: width, height: height, background: background, threshold: threshold, into: &result)
        return result
    }

    /// Sum and count of the pixels at or below `clip`.
    static func clippedSum<T: STEM4DPixel>(_ frame: UnsafePointer<T>, width: Int, height: Int, clip: Float) -> (Double, Int) {
        let full = width & ~15
        var clippedSum = 0.0, clippedCount = 0
        for y in 0..<height {
            let row = frame + y * width
            var acc = SIMD16<Float>(), cnt = SIMD16<Float>()
            var x = 0
            while x < full {
                let v = row.stem4dLoad16(x)
                let keep = v .<= clip
                acc += SIMD16<Float>().replacing(with: v, where: keep)
                cnt += SIMD16<Float>().replacing(with: 1, where: keep)
                x += 16
            }
            clippedSum += Double(acc.sum())
            clippedCount += Int(cnt.sum())
            while x < width {
                let v = row[x].floatValue
                if v <= clip { clippedSum += Double(v); clippedCount += 1 }
                x += 1
            }
        }
        return (clippedSum, clippedCount)
    }

    /// Pass 3: Σw, Σwu, Σwu² per row in SIMD lanes; the row coordinate v is a constant of the
    /// row, so Σwv, Σwuv, Σwv² are folded in per row.
    static func accumulate<T: STEM4DPixel>(_ frame: UnsafePointer<T>, width: Int, height: Int, background: Double,
                                           threshold: Double, into result: inout NanodiffFrameMoments) {
        let full = width & ~15
        let t = Float(threshold), b = Float(background)
        var lanes = SIMD16<Float>()
        for i in 0..<16 { lanes[i] = Float(i) }
        for y in 0..<height {
            let row = frame + y * width
            var sw = SIMD16<Float>(), swu = SIMD16<Float>(), swuu = SIMD16<Float>(), kept = SIMD16<Float>()
            var x = 0
            while x < full {
                let v = row.stem4dLoad16(x)
                let above = v .> t
                if any(above) {
                    let w = SIMD16<Float>().replacing(with: v - b, where: above)
                    let u = lanes + Float(x)
                    sw += w
                    swu += w * u
                    swuu += w * u * u
                    kept += SIMD16<Float>().replacing(with: 1, where: above)
                }
                x += 16
            }
            var rw = Double(sw.sum()), rwu = Double(swu.sum()), rwuu = Double(swuu.sum())
            var rowKept = Int(kept.sum())
            while x < width {
                let v = row[x].floatValue
                if v > t {
                    let w = Double(v - b), u = Double(x)
                    rw += w; rwu += w * u; rwuu += w * u * u; rowKept += 1
                }
                x += 1
            }
            guard rowKept > 0 else { continue }
            let v = Double(y)
            result.w += rw
            result.wu += rwu
            result.wv += rw * v
            result.wuu += rwuu
            result.wuv += rwu * v
            result.wvv += rw * v * v
            result.count += rowKept
        }
    }
}

/// The plain twin of `NanodiffMomentKernel`: one pixel at a time, in double precision.
public enum NanodiffMomentReference {
    public static func frame(_ values: [Double], width: Int, height: Int, falseAlarms: Double) -> NanodiffFrameMoments {
        var result = NanodiffFrameMoments()
        let n = width * height
        guard n > 0 else { return result }
        let total = values.reduce(0, +)
        guard total.isFinite else { result.background = .nan; return result }
        let mean = total / Double(n)
        var clip = NanodiffPoissonThreshold.upper(mean: mean, tail: NanodiffMomentKernel.clipTail)
        var background = mean
        for _ in 0..<NanodiffMomentKernel.clipRounds {
            let low = values.filter { $0 <= clip }
            background = low.isEmpty ? mean : low.reduce(0, +) / Double(low.count)
            let next = NanodiffPoissonThreshold.upper(mean: background, tail: NanodiffMomentKernel.clipTail)
            if next == clip { break }
            clip = next
        }
        let threshold = NanodiffPoissonThreshold.upper(mean: background, tail: falseAlarms / Double(n))
        result.background = background
        result.threshold = threshold
        for y in 0..<height {
            for x in 0..<width where values[y * width + x] > threshold {
                let w = values[y * width + x] - background, u = Double(x), v = Double(y)
                result.w += w; result.wu += w * u; result.wv += w * v
                result.wuu += w * u * u; result.wuv += w * u * v; result.wvv += w * v * v
                result.count += 1
            }
        }
        return result
    }
}
