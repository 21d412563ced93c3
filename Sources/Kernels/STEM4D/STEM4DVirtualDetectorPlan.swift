/// A compiled set of virtual detectors and the kernel chosen for them: build once per task,
/// then feed it tiles of frames.
///
/// ```swift
/// let plan = STEM4DVirtualDetectorPlan(detectors: [bf, adf], detector: shape)
/// var partial = plan.makePartial(firstFrame: 0, frameCount: rows * cols)
/// for tile in tiles { plan.accumulate(tile.frames, firstFrame: tile.first, into: &partial, gemm: gemm) }
/// ```
public struct STEM4DVirtualDetectorPlan: Sendable {
    /// The detector shape.
    public let detector: STEM4DDetectorShape
    /// Row-major weights per mask.
    public let masks: [[Float]]
    /// The kernel used.
    public let strategy: STEM4DStrategy
    /// Sparse form (always compiled: it also feeds the cost model).
    public let sparse: STEM4DSparseMasks
    /// Dense pixels × masks matrix (empty unless `strategy == .dense`).
    public let denseWeights: [Float]

    /// Compiles `masks`; `strategy == nil` lets `costModel` choose.
    public init(masks: [[Float]], detector: STEM4DDetectorShape, strategy: STEM4DStrategy? = nil,
                costModel: STEM4DCostModel = STEM4DCostModel()) {
        self.detector = detector
        self.masks = masks
        self.sparse = STEM4DSparseMasks(masks: masks, detector: detector)
        let s = strategy ?? costModel.choose(sparse)
        self.strategy = s
        self.denseWeights = s == .dense ? STEM4DDenseKernel.weightMatrix(masks, pixels: detector.pixels) : []
    }

    /// Compiles geometric detectors.
    public init(detectors: [STEM4DDetectorGeometry], detector: STEM4DDetectorShape, strategy: STEM4DStrategy? = nil,
                costModel: STEM4DCostModel = STEM4DCostModel()) {
        self.init(masks: detectors.map { $0.rasterise(detector) }, detector: detector, strategy: strategy, costModel: costModel)
    }

    /// An empty partial result over `frameCount` frames starting at `firstFrame`.
    public func makePartial(firstFrame: Int, frameCount: Int) -> STEM4DVirtualPartial {
        STEM4DVirtualPartial(firstFrame: firstFrame, frameCount: frameCount, maskCount: masks.count,
                             detectorPixels: detector.pixels)
    }

    /// Adds a tile of frames (first frame `firstFrame`) into `partial`. The 16-bit pattern pass
    /// leaves exact integer sums pending in `partial` for the next tile; reading its patterns
    /// (or `settle()`) adds them.
    public func accumulate(_ frames: STEM4DFrames, firstFrame: Int, into partial: inout STEM4DVirtualPartial,
                           gemm: STEM4DGemm = .naive, tileBytes: Int = 1 << 20) {
        switch strategy {
        case .sparse:
            STEM4DSparseKernel.accumulate(frames, masks: sparse, firstFrame: firstFrame, into: &partial)
        case .dense:
            // The dense kernel converts `tileBytes` of frames to a Float scratch for the GEMM:
            // at most 1 MiB of input (2–4 MiB of Float), so the scratch stays in L2.
            STEM4DDenseKernel.accumulate(frames, weights: denseWeights, maskCount: masks.count, detector: detector,
                                         firstFrame: firstFrame, into: &partial, gemm: gemm, tileBytes: min(tileBytes, 1 << 20))
        }
    }

    /// Runs over a whole block, splitting it into tiles of about `tileBytes` (default 4 MiB,
    /// as the worker: whole 16-frame groups for the sparse kernel on 256×256 frames).
    public func run(_ frames: STEM4DFrames, firstFrame: Int = 0, gemm: STEM4DGemm = .naive,
                    tileBytes: Int = 4 << 20) -> STEM4DVirtualPartial {
        let n = frames.count / detector.pixels
        var partial = makePartial(firstFrame: firstFrame, frameCount: n)
        let perTile = max(1, tileBytes / max(1, detector.pixels * frames.elementSize))
        var f = 0
        while f < n {
            let t = min(perTile, n - f)
            frames.withFrames(f, count: t, pixels: detector.pixels) {
                accumulate($0, firstFrame: firstFrame + f, into: &partial, gemm: gemm, tileBytes: tileBytes)
            }
            f += t
        }
        partial.settle()
        return partial
    }
}

extension STEM4DFrames {
    /// Calls `body` with frames `first..<first+count` of this block.
    public func withFrames<R>(_ first: Int, count: Int, pixels: Int, _ body: (STEM4DFrames) -> R) -> R {
        let r = (first * pixels)..<((first + count) * pixels)
        switch self {
        case .uint8(let b): return body(.uint8(UnsafeBufferPointer(rebasing: b[r])))
        case .uint16(let b): return body(.uint16(UnsafeBufferPointer(rebasing: b[r])))
        case .uint32(let b): return body(.uint32(UnsafeBufferPointer(rebasing: b[r])))
        case .float32(let b): return body(.float32(UnsafeBufferPointer(rebasing: b[r])))
        }
    }
}
