/// The result of a virtual-detector pass over a block of frames: one image per mask over the
/// block's frames, plus the running sum and maximum of the diffraction patterns.
///
/// Partial results merge: images over disjoint (or overlapping) frame ranges are placed (or
/// added) into the union range, pattern sums add, maxima take the maximum, so merging the
/// partials of all blocks gives exactly the whole-cube result.
///
/// The 16-bit pattern pass keeps exact integer sums and maxima (`pendingSum`, `pendingMax`)
/// across the tiles a task feeds it and adds them to the `Double`/`Float` patterns only when
/// they could overflow (`pendingLimit` frames) or when someone reads the patterns: on 256×256
/// frames a 4 MiB tile is 32 frames, and adding 65 536 sums and maxima per tile was ≈ 16 % of
/// the pass (docs/stem4d.md). `sumPattern`, `maxPattern`, `meanPattern`, `merge` and `==`
/// all see the settled values; `settle()` folds them in place.
public struct STEM4DVirtualPartial: Sendable {
    /// First frame (flattened scan index) covered by `images`.
    public var firstFrame: Int
    /// Number of frames covered by `images`.
    public var frameCount: Int
    /// Number of masks.
    public var maskCount: Int
    /// Mask-major images: `images[m * frameCount + f]` is mask `m` at frame `firstFrame + f`.
    public var images: [Float]
    /// Number of patterns in `sumPattern`.
    public var patternCount: Int

    /// The settled part of the pattern sum and maximum (the kernels add into these directly).
    var settledSum: [Double]
    var settledMax: [Float]
    /// Exact sums and maxima of `pendingFrames` frames not yet in `settledSum`/`settledMax`
    /// (empty until a kernel uses them; the first `pendingSum.count` pixels).
    var pendingSum: [UInt32] = []
    var pendingMax: [UInt16] = []
    var pendingFrames = 0

    /// Frames of 16-bit counts whose sums stay exact in `UInt32`: 65 536 · 65 535 < 2³².
    static let pendingLimit = 65_536

    /// An empty result for `maskCount` masks over `frameCount` frames.
    public init(firstFrame: Int, frameCount: Int, maskCount: Int, detectorPixels: Int) {
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        self.maskCount = maskCount
        self.images = [Float](repeating: 0, count: frameCount * maskCount)
        self.settledSum = [Double](repeating: 0, count: detectorPixels)
        self.settledMax = [Float](repeating: -.infinity, count: detectorPixels)
        self.patternCount = 0
    }

    /// Sum of all processed patterns, row-major detector pixels.
    public var sumPattern: [Double] {
        get {
            guard pendingFrames > 0 else { return settledSum }
            var s = self
            s.settle()
            return s.settledSum
        }
        set {
            settle()
            settledSum = newValue
        }
        _modify {
            settle()
            yield &settledSum
        }
    }

    /// Pixel-wise maximum of all processed patterns (−∞ before any frame).
    public var maxPattern: [Float] {
        get {
            guard pendingFrames > 0 else { return settledMax }
            var s = self
            s.settle()
            return s.settledMax
        }
        set {
            settle()
            settledMax = newValue
        }
        _modify {
            settle()
            yield &settledMax
        }
    }

    /// Adds the pending integer sums and maxima to the patterns and clears them (their
    /// storage is kept for the next tile).
    public mutating func settle() {
        guard pendingFrames > 0 else { return }
        let n = pendingSum.count
        guard n > 0 else { pendingFrames = 0; return }  // frames under 16 pixels: nothing carried
        settledSum.withUnsafeMutableBufferPointer { sum in
            settledMax.withUnsafeMutableBufferPointer { mx in
                pendingSum.withUnsafeMutableBufferPointer { s32 in
                    pendingMax.withUnsafeMutableBufferPointer { m16 in
                        STEM4DVectorUnits.settlePatterns(sum32: s32.baseAddress!, max16: m16.baseAddress!,
                                                         sum: sum.baseAddress!, max: mx.baseAddress!, count: n, clear: true)
                    }
                }
            }
        }
        pendingFrames = 0
    }

    /// The image of mask `m` over this partial's frames.
    public func image(_ m: Int) -> ArraySlice<Float> { images[(m * frameCount)..<((m + 1) * frameCount)] }

    /// The mean diffraction pattern.
    public var meanPattern: [Float] {
        let n = Double(max(patternCount, 1))
        return sumPattern.map { Float($0 / n) }
    }

    /// Merges `other` into `self` (see the type's documentation).
    public mutating func merge(_ other: STEM4DVirtualPartial) {
        precondition(other.maskCount == maskCount && other.settledSum.count == settledSum.count,
                     "cannot merge partials of different masks or detector shapes")
        let lo = min(firstFrame, other.firstFrame)
        let hi = max(firstFrame + frameCount, other.firstFrame + other.frameCount)
        if frameCount == 0 && other.frameCount == 0 {
            // nothing to place
        } else if lo != firstFrame || hi != firstFrame + frameCount {
            var grown = [Float](repeating: 0, count: (hi - lo) * maskCount)
            for m in 0..<maskCount {
                for f in 0..<frameCount { grown[m * (hi - lo) + firstFrame - lo + f] = images[m * frameCount + f] }
            }
            images = grown
            firstFrame = lo
            frameCount = hi - lo
        }
        for m in 0..<maskCount {
            for f in 0..<other.frameCount {
                images[m * frameCount + other.firstFrame - firstFrame + f] += other.images[m * other.frameCount + f]
            }
        }
        settle()
        let otherSum = other.sumPattern, otherMax = other.maxPattern
        for i in settledSum.indices {
            settledSum[i] += otherSum[i]
            settledMax[i] = max(settledMax[i], otherMax[i])
        }
        patternCount += other.patternCount
    }
}

extension STEM4DVirtualPartial: Equatable {
    /// Equal results: the same frames, images and settled patterns (however much of either
    /// side was still pending).
    public static func == (a: STEM4DVirtualPartial, b: STEM4DVirtualPartial) -> Bool {
        a.firstFrame == b.firstFrame && a.frameCount == b.frameCount && a.maskCount == b.maskCount
            && a.patternCount == b.patternCount && a.images == b.images
            && a.sumPattern == b.sumPattern && a.maxPattern == b.maxPattern
    }
}
