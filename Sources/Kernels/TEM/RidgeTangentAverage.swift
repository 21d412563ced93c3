/// Averages the ridge response along each pixel's own line direction: the mean of R over the
/// 2m + 1 pixels p + j·t (j = −m…m), t the tangent of the pixel's quantised normal (normal x →
/// t = (0, 1), (1, 1) → (1, −1), y → (1, 0), (1, −1) → (1, 1)); coordinates are clamped at the
/// frame's edges. A line's response is coherent along its tangent while the noise's is not, so
/// this is a short matched filter along the line: the line keeps its height and the noise
/// shrinks (about √2 lower σ at m = 3 on white noise), which is what lets faint, blurred lines
/// through at the same per-frame false-alarm rate.
public enum RidgeTangentAverage {
    /// Writes the average into `out` (`out` must not alias `response`).
    public static func apply(response: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                             width w: Int, height h: Int, halfLength m: Int, out: UnsafeMutableBufferPointer<Float>) {
        let n = w * h
        precondition(response.count >= n && normal.count >= n && out.count >= n && m >= 0)
        let r = response.baseAddress!, code = normal.baseAddress!, o = out.baseAddress!
        let inv = 1 / Float(2 * m + 1)
        // Tangent steps per normal code 0…3 as (dx, dy) and as an index offset.
        let steps = [(0, 1), (1, -1), (1, 0), (1, 1)]
        let offsets = steps.map { $0.1 * w + $0.0 }
        @inline(__always) func scalar(_ x: Int, _ y: Int) {
            let (dx, dy) = steps[Int(code[y * w + x])]
            var acc: Float = 0
            for j in -m...m {
                let xx = min(w - 1, max(0, x + j * dx)), yy = min(h - 1, max(0, y + j * dy))
                acc += r[yy * w + xx]
            }
            o[y * w + x] = acc * inv
        }
        typealias V = SIMD8<Float>
        @inline(__always) func ld(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        for y in 0..<h {
            // Rows within m of the top or bottom, and columns within m of the sides, clamp.
            guard y >= m && y < h - m && w > 2 * m else {
                for x in 0..<w { scalar(x, y) }
                continue
            }
            for x in 0..<min(m, w) { scalar(x, y) }
            var x = m
            while x + 8 <= w - m {
                let i = y * w + x
                // The four directional sums, then a select by the normal code (branch-free).
                var sums = (V(), V(), V(), V())
                for j in -m...m {
                    sums.0 += ld(r + i + j * offsets[0])
                    sums.1 += ld(r + i + j * offsets[1])
                    sums.2 += ld(r + i + j * offsets[2])
                    sums.3 += ld(r + i + j * offsets[3])
                }
                let c = ld(code + i)
                var v = sums.3
                v.replace(with: sums.2, where: c .== V(repeating: 2))
                v.replace(with: sums.1, where: c .== V(repeating: 1))
                v.replace(with: sums.0, where: c .== V(repeating: 0))
                UnsafeMutableRawPointer(o + i).storeBytes(of: v * inv, as: V.self)
                x += 8
            }
            while x < w { scalar(x, y); x += 1 }
        }
    }

    /// The average at pixel `i` alone, with the same sum in the same order as `apply` (so the
    /// same value to the bit): where only a few pixels need it, a map is not worth writing.
    @inline(__always)
    public static func value(at i: Int, response r: UnsafePointer<Float>, normal code: UnsafePointer<Float>,
                             width w: Int, height h: Int, halfLength m: Int) -> Float {
        let x = i % w, y = i / w
        let c = Int(code[i])
        let dx = c == 1 || c == 2 || c == 3 ? 1 : 0, dy = c == 0 ? 1 : c == 1 ? -1 : c == 3 ? 1 : 0
        var acc: Float = 0
        if y >= m && y < h - m && x >= m && x < w - m {
            let step = dy * w + dx
            var p = r + i - m * step
            for _ in 0...(2 * m) { acc += p.pointee; p += step }
        } else {
            for j in -m...m {
                let xx = min(w - 1, max(0, x + j * dx)), yy = min(h - 1, max(0, y + j * dy))
                acc += r[yy * w + xx]
            }
        }
        return acc * (1 / Float(2 * m + 1))
    }

    /// The average at every `stride`-th pixel (0, stride, 2·stride, …): the sample
    /// `RidgeThreshold.robustStats` reads of a whole map, so its statistics from this sample
    /// (at stride 1) are those of the map, without the map.
    public static func sample(response: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                              width w: Int, height h: Int, halfLength m: Int, stride: Int = 29) -> [Float] {
        let n = w * h
        precondition(response.count >= n && normal.count >= n && m >= 0 && stride > 0)
        let r = response.baseAddress!, code = normal.baseAddress!
        return Swift.stride(from: 0, to: n, by: stride).map { value(at: $0, response: r, normal: code, width: w, height: h, halfLength: m) }
    }

    /// Plain reference (Double sums, one pixel at a time), for tests.
    public static func reference(response: [Float], normal: [Float], width w: Int, height h: Int, halfLength m: Int) -> [Float] {
        let steps = [(0, 1), (1, -1), (1, 0), (1, 1)]
        return (0..<(w * h)).map { i in
            let x = i % w, y = i / w
            let (dx, dy) = steps[Int(normal[i])]
            var acc = 0.0
            for j in -m...m {
                acc += Double(response[min(h - 1, max(0, y + j * dy)) * w + min(w - 1, max(0, x + j * dx))])
            }
            return Float(acc / Double(2 * m + 1))
        }
    }
}
