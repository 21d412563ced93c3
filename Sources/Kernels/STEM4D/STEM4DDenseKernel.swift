/// Dense virtual detectors: (frames × pixels) · (pixels × masks) through a supplied GEMM.
///
/// Frames are converted to `Float` rows a tile at a time (about `tileBytes` of `Float`
/// scratch), the mean/max patterns are accumulated during the conversion, and the tile is
/// multiplied by the pixels × masks weight matrix.
public enum STEM4DDenseKernel {
    /// Row-major pixels × masks weight matrix built from row-major masks.
    public static func weightMatrix(_ masks: [[Float]], pixels: Int) -> [Float] {
        var b = [Float](repeating: 0, count: pixels * masks.count)
        for (m, w) in masks.enumerated() {
            precondition(w.count == pixels, "mask \(m) has \(w.count) weights, detector has \(pixels) pixels")
            for i in 0..<pixels { b[i * masks.count + m] = w[i] }
        }
        return b
    }

    /// Adds the virtual images of `frames` and their patterns into `partial`.
    /// `weights` is the pixels × `maskCount` matrix of `weightMatrix`.
    public static func accumulate(_ frames: STEM4DFrames, weights: [Float], maskCount: Int,
                                  detector: STEM4DDetectorShape, firstFrame: Int,
                                  into partial: inout STEM4DVirtualPartial,
                                  gemm: STEM4DGemm, tileBytes: Int = 1 << 20) {
        switch frames {
        case .uint8(let b): run(b, weights, maskCount, detector, firstFrame, &partial, gemm, tileBytes)
        case .uint16(let b): run(b, weights, maskCount, detector, firstFrame, &partial, gemm, tileBytes)
        case .uint32(let b): run(b, weights, maskCount, detector, firstFrame, &partial, gemm, tileBytes)
        case .float32(let b): run(b, weights, maskCount, detector, firstFrame, &partial, gemm, tileBytes)
        }
    }

    static func run<T: STEM4DPixel>(_ buf: UnsafeBufferPointer<T>, _ weights: [Float], _ mcount: Int,
                                    _ detector: STEM4DDetectorShape, _ firstFrame: Int,
                                    _ partial: inout STEM4DVirtualPartial, _ gemm: STEM4DGemm, _ tileBytes: Int) {
        let p = detector.pixels
        precondition(buf.count % p == 0, "block of \(buf.count) elements is not a whole number of \(p)-pixel frames")
        precondition(weights.count == p * mcount, "weight matrix must be \(p)×\(mcount)")
        let n = buf.count / p
        guard n > 0, let base = buf.baseAddress else { return }
        precondition(firstFrame >= partial.firstFrame && firstFrame + n <= partial.firstFrame + partial.frameCount,
                     "frames \(firstFrame)..<\(firstFrame + n) outside the partial's range")
        let tile = max(1, min(n, tileBytes / (p * 4)))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * p)
        defer { scratch.deallocate() }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: tile * max(mcount, 1))
        defer { out.deallocate() }
        let stride = partial.frameCount
        let off = firstFrame - partial.firstFrame
        var acc = STEM4DPatternAccumulator(pixels: p, element: T.self)
        partial.settledSum.withUnsafeMutableBufferPointer { sumBuf in
            partial.settledMax.withUnsafeMutableBufferPointer { maxBuf in
                partial.images.withUnsafeMutableBufferPointer { img in
                    weights.withUnsafeBufferPointer { w in
                        var f0 = 0
                        while f0 < n {
                            let t = min(tile, n - f0)
                            let src = base + f0 * p
                            acc.addGroup(src, count: t, max: maxBuf.baseAddress!)
                            acc.noteFrames(t, into: sumBuf.baseAddress!)
                            convert(src, count: t * p, to: scratch)
                            if mcount > 0 {
                                gemm.multiply(t, mcount, p, UnsafePointer(scratch), p, w.baseAddress!, mcount, out, mcount)
                                for k in 0..<t {
                                    for m in 0..<mcount { img[m * stride + off + f0 + k] += out[k * mcount + m] }
                                }
                            }
                            f0 += t
                        }
                        acc.flush(into: sumBuf.baseAddress!)
                    }
                }
            }
        }
        partial.patternCount += n
    }

    static func convert<T: STEM4DPixel>(_ src: UnsafePointer<T>, count: Int, to dst: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(dst)
        var i = 0
        while i + 16 <= count {
            raw.storeBytes(of: src.stem4dLoad16(i), toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { dst[i] = src[i].floatValue; i += 1 }
    }
}
