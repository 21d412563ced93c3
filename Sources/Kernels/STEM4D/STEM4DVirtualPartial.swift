/// The result of a virtual-detector pass over a block of frames: one image per mask over the
/// block's frames, plus the running sum and maximum of the diffraction patterns.
///
/// Partial results merge: images over disjoint (or overlapping) frame ranges are placed (or
/// added) into the union range, pattern sums add, maxima take the maximum, so merging the
/// partials of all blocks gives exactly the whole-cube result.
public struct STEM4DVirtualPartial: Sendable, Equatable {
    /// First frame (flattened scan index) covered by `images`.
    public var firstFrame: Int
    /// Number of frames covered by `images`.
    public var frameCount: Int
    /// Number of masks.
    public var maskCount: Int
    /// Mask-major images: `images[m * frameCount + f]` is mask `m` at frame `firstFrame + f`.
    public var images: [Float]
    /// Sum of all processed patterns, row-major detector pixels.
    public var sumPattern: [Double]
    /// Pixel-wise maximum of all processed patterns (−∞ before any frame).
    public var maxPattern: [Float]
    /// Number of patterns in `sumPattern`.
    public var patternCount: Int

    /// An empty result for `maskCount` masks over `frameCount` frames.
    public init(firstFrame: Int, frameCount: Int, maskCount: Int, detectorPixels: Int) {
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        self.maskCount = maskCount
        self.images = [Float](repeating: 0, count: frameCount * maskCount)
        self.sumPattern = [Double](repeating: 0, count: detectorPixels)
        self.maxPattern = [Float](repeating: -.infinity, count: detectorPixels)
        self.patternCount = 0
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
        precondition(other.maskCount == maskCount && other.sumPattern.count == sumPattern.count,
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
        for i in sumPattern.indices {
            sumPattern[i] += other.sumPattern[i]
            maxPattern[i] = max(maxPattern[i], other.maxPattern[i])
        }
        patternCount += other.patternCount
    }
}
