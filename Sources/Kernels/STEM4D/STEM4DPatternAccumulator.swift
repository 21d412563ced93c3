/// Scratch state for the mean and max diffraction patterns while a pass runs.
///
/// Patterns are summed in `Float` over a bounded number of frames (exact for integer input:
/// 256 frames of `UInt16` stay below 2²⁴) and then flushed into the `Double` sum of the
/// partial result, so long passes lose no counts.
struct STEM4DPatternAccumulator: ~Copyable {
    let pixels: Int
    let flushEvery: Int
    let sum: UnsafeMutablePointer<Float>
    var framesSinceFlush = 0

    init<T: STEM4DPixel>(pixels: Int, element: T.Type) {
        self.pixels = pixels
        if T.self == UInt8.self { flushEvery = 65_536 } else if T.self == UInt16.self { flushEvery = 256 } else { flushEvery = 1 }
        sum = .allocate(capacity: max(pixels, 1))
        sum.initialize(repeating: 0, count: max(pixels, 1))
    }

    deinit { sum.deallocate() }

    /// Adds the frame-sum in `sum` to `into` when `added` more frames would overflow exactness.
    mutating func noteFrames(_ added: Int, into target: UnsafeMutablePointer<Double>) {
        framesSinceFlush += added
        if framesSinceFlush >= flushEvery { flush(into: target) }
    }

    mutating func flush(into target: UnsafeMutablePointer<Double>) {
        guard framesSinceFlush > 0 else { return }
        for i in 0..<pixels { target[i] += Double(sum[i]); sum[i] = 0 }
        framesSinceFlush = 0
    }

    /// Adds `count` consecutive frames starting at `frames` (each `pixels` long) to the sum and
    /// maximum, pixel chunk by pixel chunk across the group, so the accumulators are touched
    /// once per group (faster than frame by frame even for 64×64 frames; docs/tuning.md).
    func addGroup<T: STEM4DPixel>(_ frames: UnsafePointer<T>, count: Int, max maxp: UnsafeMutablePointer<Float>) {
        let p = pixels
        var c = 0
        let rawSum = UnsafeMutableRawPointer(sum), rawMax = UnsafeMutableRawPointer(maxp)
        while c + 16 <= p {
            var s = SIMD16<Float>(repeating: 0)
            var mx = rawMax.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
            Self.sumAndMax(frames, count: count, pixels: p, chunk: c, sum: &s, max: &mx)
            rawSum.storeBytes(of: rawSum.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self) + s,
                              toByteOffset: c * 4, as: SIMD16<Float>.self)
            rawMax.storeBytes(of: mx, toByteOffset: c * 4, as: SIMD16<Float>.self)
            c += 16
        }
        while c < p {
            var s: Float = 0
            var mx = maxp[c]
            for f in 0..<count {
                let v = frames[f * p + c].floatValue
                s += v
                mx = Swift.max(mx, v)
            }
            sum[c] += s
            maxp[c] = mx
            c += 1
        }
    }

    /// Adds the 16-pixel chunk at pixel `c` of `count` frames to `s` and folds it into `mx`,
    /// two frames per step (two independent loads in flight).
    @inline(__always)
    static func sumAndMax<T: STEM4DPixel>(_ frames: UnsafePointer<T>, count: Int, pixels p: Int, chunk c: Int,
                                          sum s: inout SIMD16<Float>, max mx: inout SIMD16<Float>) {
        var f = 0
        while f + 2 <= count {
            let v0 = frames.stem4dLoad16(f * p + c)
            let v1 = frames.stem4dLoad16((f + 1) * p + c)
            s += v0 + v1
            mx = mx.stem4dMax(v0.stem4dMax(v1))
            f += 2
        }
        if f < count {
            let v = frames.stem4dLoad16(f * p + c)
            s += v
            mx = mx.stem4dMax(v)
        }
    }

    /// The pattern pass fused with the masks (frames whose pixel count is a multiple of 16):
    /// chunk `c` carries entries `chunkEntries[c]..<chunkEntries[c+1]`, and each widened
    /// vector is also multiply-added into `macc[mask * stride + frame]` while it is in a
    /// register, so mask pixels are read and converted once.
    func addGroupFused<T: STEM4DPixel>(_ frames: UnsafePointer<T>, count: Int, max maxp: UnsafeMutablePointer<Float>,
                                       chunkEntries: UnsafeBufferPointer<Int>, entryMask: UnsafeBufferPointer<Int>,
                                       entryWeights: UnsafeBufferPointer<SIMD16<Float>>,
                                       macc: UnsafeMutablePointer<SIMD16<Float>>, stride: Int) {
        let p = pixels
        let rawSum = UnsafeMutableRawPointer(sum), rawMax = UnsafeMutableRawPointer(maxp)
        var c = 0
        var chunk = 0
        while c + 16 <= p {
            var s = SIMD16<Float>(repeating: 0)
            var mx = rawMax.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
            let eLo = chunkEntries[chunk], eHi = chunkEntries[chunk + 1]
            if eLo == eHi {
                Self.sumAndMax(frames, count: count, pixels: p, chunk: c, sum: &s, max: &mx)
            } else {
                for f in 0..<count {
                    let v = frames.stem4dLoad16(f * p + c)
                    s += v
                    mx = mx.stem4dMax(v)
                    for e in eLo..<eHi { macc[entryMask[e] * stride + f] += v * entryWeights[e] }
                }
            }
            rawSum.storeBytes(of: rawSum.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self) + s,
                              toByteOffset: c * 4, as: SIMD16<Float>.self)
            rawMax.storeBytes(of: mx, toByteOffset: c * 4, as: SIMD16<Float>.self)
            c += 16
            chunk += 1
        }
    }
}
