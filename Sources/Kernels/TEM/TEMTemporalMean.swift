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
        for i in 0..<n { o[i] = 0; c[i] = 0 }
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
            let f = frame.baseAddress!
            for y in y0...y1 {
                let a = f + (y + iy) * width + ix
                let b = ey > 0 ? a + width : a
                let row = o + y * width, cr = c + y * width
                for x in x0...x1 {
                    row[x] += w00 * a[x] + w01 * a[x + ex] + w10 * b[x] + w11 * b[x + ex]
                    cr[x] += 1
                }
            }
        }
        for i in 0..<n where c[i] > 0 { o[i] /= c[i] }
    }

    /// The frames (indices into `0..<available`) of frame `k`'s window of `size` frames: centred on
    /// it, shifted inwards at the ends so it keeps `size` frames where the video has them.
    public static func window(of k: Int, size: Int, available: Int) -> ClosedRange<Int> {
        let before = (size - 1) / 2
        let lo = max(0, min(k - before, available - size))
        return lo...min(available - 1, lo + size - 1)
    }
}
