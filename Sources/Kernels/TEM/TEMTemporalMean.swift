#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The mean of several frames of a video registered onto one of them. After registration the
/// specimen is still while the camera noise is independent from frame to frame, so a line that
/// moves less than its width over the frames keeps its depth in the mean while the noise drops
/// by √K (issue 11 items 2 and 5; docs/tem.md, "The video's other frames").
public enum TEMTemporalMean {
    /// `out(q)` = the mean over the frames j that cover q of `frames[j](q + drifts[j] − target)`,
    /// bilinear (a feature at p in the reference is at p + drift in a frame, as
    /// `TEMRegistration.drift` gives it); `target` is the drift of the frame the mean is drawn in.
    /// A pixel no frame covers is 0 (none when the target frame itself is among `frames`).
    /// `count`: scratch of `width × height`. All frames `width × height`, row-major.
    public static func apply(frames: [UnsafeBufferPointer<Float>], drifts: [TEMPoint], target: TEMPoint,
                             width: Int, height: Int, out: UnsafeMutableBufferPointer<Float>,
                             count: UnsafeMutableBufferPointer<Float>) {
        let n = width * height
        guard width > 0, height > 0, out.count >= n, count.count >= n else { return }
        let o = out.baseAddress!, c = count.baseAddress!
        o.update(repeating: 0, count: n)
        c.update(repeating: 0, count: n)
        for (frame, drift) in zip(frames, drifts) where frame.count >= n {
            let sx = drift.x - target.x, sy = drift.y - target.y
            guard sx.isFinite, sy.isFinite else { continue }
            let fx0 = floor(sx), fy0 = floor(sy)
            guard abs(fx0) < Double(width), abs(fy0) < Double(height) else { continue }
            let ix = Int(fx0), iy = Int(fy0)
            let fx = Float(sx - fx0), fy = Float(sy - fy0)
            // The second column / row is read only with a weight above 0.
            let ex = fx > 0 ? 1 : 0, ey = fy > 0 ? 1 : 0
            // Output pixels whose source square lies inside the frame.
            let x0 = max(0, -ix), x1 = min(width - 1, width - 1 - ix - ex)
            let y0 = max(0, -iy), y1 = min(height - 1, height - 1 - iy - ey)
            guard x0 <= x1, y0 <= y1 else { continue }
            let w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy
            let v00 = SIMD8<Float>(repeating: w00), v01 = SIMD8<Float>(repeating: w01)
            let v10 = SIMD8<Float>(repeating: w10), v11 = SIMD8<Float>(repeating: w11), one = SIMD8<Float>(repeating: 1)
            let f = frame.baseAddress!
            for y in y0...y1 {
                let a = f + (y + iy) * width + ix
                let b = ey > 0 ? a + width : a
                let row = o + y * width, cr = c + y * width
                var x = x0
                // Eight pixels at a time (the same sums in the same order as the scalar tail).
                while x + 8 <= x1 + 1 {
                    let s = v00 * load(a + x) + v01 * load(a + x + ex) + v10 * load(b + x) + v11 * load(b + x + ex)
                    store(load(UnsafePointer(row + x)) + s, row + x)
                    store(load(UnsafePointer(cr + x)) + one, cr + x)
                    x += 8
                }
                while x <= x1 {
                    row[x] += w00 * a[x] + w01 * a[x + ex] + w10 * b[x] + w11 * b[x + ex]
                    cr[x] += 1
                    x += 1
                }
            }
        }
        // Uncovered pixels hold 0 and stay 0.
        var i = 0
        while i + 8 <= n {
            let v = load(UnsafePointer(o + i)) / pointwiseMax(load(UnsafePointer(c + i)), SIMD8<Float>(repeating: 1))
            store(v, o + i)
            i += 8
        }
        while i < n { o[i] /= max(c[i], 1); i += 1 }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// The frames (indices into `0..<available`) of frame `k`'s window of `size` frames: centred on
    /// it, shifted inwards at the ends so it keeps `size` frames where the video has them.
    public static func window(of k: Int, size: Int, available: Int) -> ClosedRange<Int> {
        let before = (size - 1) / 2
        let lo = max(0, min(k - before, available - size))
        return lo...min(available - 1, lo + size - 1)
    }

    /// `apply` as a plain per-pixel loop (Double sums, every frame's four neighbours tested one
    /// by one): the reference the kernel's benchmark checks it against.
    public static func reference(frames: [[Float]], drifts: [TEMPoint], target: TEMPoint, width w: Int, height h: Int) -> [Float] {
        var out = [Float](repeating: 0, count: max(0, w * h))
        for y in 0..<max(0, h) {
            for x in 0..<max(0, w) {
                var sum = 0.0, covered = 0
                for (f, d) in zip(frames, drifts) where f.count >= w * h {
                    let sx = Double(x) + d.x - target.x, sy = Double(y) + d.y - target.y
                    guard sx.isFinite, sy.isFinite else { continue }
                    let x0 = floor(sx), y0 = floor(sy)
                    let fx = sx - x0, fy = sy - y0
                    var v = 0.0, inside = true
                    for (dy, wy) in [(0.0, 1 - fy), (1.0, fy)] where wy > 0 {
                        for (dx, wx) in [(0.0, 1 - fx), (1.0, fx)] where wx > 0 {
                            let xx = x0 + dx, yy = y0 + dy
                            guard xx >= 0, xx < Double(w), yy >= 0, yy < Double(h) else { inside = false; continue }
                            v += wx * wy * Double(f[Int(yy) * w + Int(xx)])
                        }
                    }
                    if inside { sum += v; covered += 1 }
                }
                out[y * w + x] = covered > 0 ? Float(sum / Double(covered)) : 0
            }
        }
        return out
    }
}
