import Foundation
import Kernels
import Shared

/// A `stem4d` shard: forms the virtual images of its block of scan rows (streamed in tiles of
/// about 4 MiB) with the mean and maximum patterns, and writes them to its part file, which it
/// hands the merge (`STEM4DMerge` assembles the parts and does the 3D work).
public enum STEM4DShard {
    /// Bytes per tile handed to the kernels.
    /// (4 MiB: 32 frames of 256×256 uint16, so the sparse kernel runs whole 16-frame groups;
    /// 1 MiB tiles cut them to 8 frames and cost ≈ 10 % on 256×256 detectors.)
    public static let tileBytes = 4 << 20

    public typealias ShardPayload = STEM4DShardPayload<STEM4DDetectorGeometry>

    static func run(_ payload: ShardPayload, context: KindContext) throws -> ShardResult<STEM4DShardOutput> {
        let partFile = try context.output.check(payload.partFile)
        let file = try context.input(payload.file)
        let partial = try computeBlock(payload, file: file, stop: context.stop)
        try STEM4DPart.write(partial, to: partFile)
        return ShardResult(output: STEM4DShardOutput(partFile: partFile))
    }

    /// Forms the virtual images of scan rows `y0..<y1`.
    public static func computeBlock(_ payload: ShardPayload, file: String, gemm: STEM4DGemm = STEM4DBLAS.gemm,
                                    stop: StopFlag? = nil) throws -> STEM4DVirtualPartial {
        let source = try STEM4DSource.open(path: file, dataset: payload.dataset, scan: payload.scan)
        guard source.shape == payload.shape, source.element == payload.element else {
            throw TaskError("\(source.label): shape is now \(source.shape) \(source.element.rawValue), was \(payload.shape) \(payload.element.rawValue) when the job was planned; resubmit the job")
        }
        let det = STEM4DDetectorShape(rows: source.detRows, cols: source.detCols)
        let plan = STEM4DVirtualDetectorPlan(
            detectors: payload.detectors.map(\.geometry), detector: det, strategy: STEM4DStrategy(rawValue: payload.strategy))
        let first = payload.y0 * source.scanCols, count = (payload.y1 - payload.y0) * source.scanCols
        var partial = plan.makePartial(firstFrame: first, frameCount: count)
        // Tiles of whole scan rows when a row fits in a tile, else pieces of one row.
        let perTile = max(1, tileBytes / source.frameBytes)
        let tile = perTile >= source.scanCols ? (perTile / source.scanCols) * source.scanCols : perTile
        var f = first
        while f < first + count {
            if stop?.isSet == true { throw TaskError("stem4d task stopped: the worker is shutting down or the job was cancelled") }
            let rowEnd = (f / source.scanCols + 1) * source.scanCols
            let end = tile >= source.scanCols ? min(first + count, f + tile) : min(rowEnd, f + tile)
            try source.withFrames(f..<end) { raw in
                try STEM4DFrameBytes.check(raw, element: source.element, label: source.label, firstFrame: f, framePixels: det.pixels)
                STEM4DFrameBytes.frames(raw, element: source.element) {
                    plan.accumulate($0, firstFrame: f, into: &partial, gemm: gemm, tileBytes: tileBytes)
                }
            }
            f = end
        }
        partial.settle()  // the pattern sums the last tiles left pending
        return partial
    }
}
