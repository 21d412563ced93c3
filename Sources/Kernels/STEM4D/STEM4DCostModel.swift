/// Which virtual-detector kernel to run.
public enum STEM4DStrategy: String, Sendable, Hashable, Codable {
    /// Row-run summation (few small detectors).
    case sparse
    /// Frames × pixels times pixels × masks through a GEMM (many or large detectors).
    case dense
}

/// A per-frame cost model choosing between the sparse and dense kernels.
///
/// Both kernels make the same pattern pass (mean and max) over every pixel; they differ in
/// the mask work: sparse loads, widens and multiply-adds one 16-pixel vector per
/// (segment, mask) entry; dense converts every pixel to `Float`, writes and re-reads it, and
/// spends 2·pixels·masks flops in the GEMM. Defaults are rough figures from a shared 2-core
/// Xeon (code built for baseline x86-64; OpenBLAS single-threaded, where a tall-skinny
/// product with ≤ 8 columns ran at ≈ 2 ns per pixel in all); re-measure with
/// `STEM4DBenchmark` on new hardware.
public struct STEM4DCostModel: Sendable, Hashable {
    /// Nanoseconds per distinct 16-pixel segment in the sparse kernel (0: loads are counted per entry).
    public var sparseNsPerSegment: Double
    /// Nanoseconds per (segment, mask) entry: load, widen, multiply-add, from cache.
    public var sparseNsPerEntry: Double
    /// Nanoseconds per pixel to convert a frame to `Float` rows for the GEMM.
    public var denseConvertNsPerPixel: Double
    /// Sustained GEMM speed in GFLOP/s for tall-skinny products.
    public var gemmGflops: Double

    /// A model with the given constants (defaults: measured, see the type's documentation).
    public init(sparseNsPerSegment: Double = 0, sparseNsPerEntry: Double = 4,
                denseConvertNsPerPixel: Double = 1.0, gemmGflops: Double = 20) {
        self.sparseNsPerSegment = sparseNsPerSegment
        self.sparseNsPerEntry = sparseNsPerEntry
        self.denseConvertNsPerPixel = denseConvertNsPerPixel
        self.gemmGflops = gemmGflops
    }

    /// Estimated mask work per frame, in nanoseconds, of the sparse kernel.
    public func sparseCost(_ masks: STEM4DSparseMasks) -> Double {
        if masks.detector.pixels < 16 { return Double(masks.nonzeroCount) * sparseNsPerEntry }
        return Double(masks.segmentCount) * sparseNsPerSegment + Double(masks.entryMask.count) * sparseNsPerEntry
    }

    /// Estimated mask work per frame, in nanoseconds, of the dense kernel.
    public func denseCost(pixels: Int, maskCount: Int) -> Double {
        Double(pixels) * denseConvertNsPerPixel + 2 * Double(pixels) * Double(maskCount) / gemmGflops
    }

    /// The cheaper strategy for these masks.
    public func choose(_ masks: STEM4DSparseMasks) -> STEM4DStrategy {
        sparseCost(masks) <= denseCost(pixels: masks.detector.pixels, maskCount: masks.maskCount) ? .sparse : .dense
    }
}
