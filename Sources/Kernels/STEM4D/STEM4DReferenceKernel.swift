/// The plain reference twin of the virtual-detector kernels: scalar loops in `Double`.
public enum STEM4DReferenceKernel {
    /// Virtual images (sum of weight × value under each mask), sum and max patterns.
    public static func run(_ frames: STEM4DFrames, masks: [[Float]], detector: STEM4DDetectorShape,
                           firstFrame: Int = 0) -> STEM4DVirtualPartial {
        switch frames {
        case .uint8(let b): return run(b, masks, detector, firstFrame)
        case .uint16(let b): return run(b, masks, detector, firstFrame)
        case .uint32(let b): return run(b, masks, detector, firstFrame)
        case .float32(let b): return run(b, masks, detector, firstFrame)
        }
    }

    static func run<T: STEM4DPixel>(_ buf: UnsafeBufferPointer<T>, _ masks: [[Float]], _ detector: STEM4DDetectorShape,
                                    _ firstFrame: Int) -> STEM4DVirtualPartial {
        let p = detector.pixels
        let n = buf.count / p
        var r = STEM4DVirtualPartial(firstFrame: firstFrame, frameCount: n, maskCount: masks.count, detectorPixels: p)
        for f in 0..<n {
            for (m, w) in masks.enumerated() {
                var s = 0.0
                for i in 0..<p where w[i] != 0 { s += Double(w[i]) * buf[f * p + i].doubleValue }
                r.images[m * n + f] = Float(s)
            }
            for i in 0..<p {
                let v = buf[f * p + i]
                r.settledSum[i] += v.doubleValue
                r.settledMax[i] = max(r.settledMax[i], v.floatValue)
            }
        }
        r.patternCount = n
        return r
    }
}
