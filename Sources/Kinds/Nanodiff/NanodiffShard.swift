import Foundation
import Kernels
import Shared

/// One `nanodiff` shard: the features of every position in scan rows row0..<row1, read across
/// every angle in chunks of at most `chunk_mb`, written to `/features` (float64
/// [rows, scan_cols, NanodiffFeatures.packedCount]) of the shard's features file.
enum NanodiffShard {
    static func run(_ payload: NanodiffShardPayload, options: NanodiffJobOptions, context: KindContext) throws -> ShardResult<NanodiffShardOutput> {
        if let error = payload.error { throw TaskError(error) }
        let files = try payload.files.map { try context.input($0) }
        let source = try NanodiffScanSource(files: files, dataset: payload.dataset)
        guard source.shape == payload.shape else {
            throw TaskError("\(files[0]): shape is now \(source.shape), was \(payload.shape) when the job was planned; resubmit the job")
        }
        let out = try context.output.check(payload.featuresFile)
        let cols = source.cols, nf = NanodiffFeatures.packedCount
        let perPosition = source.angles * source.frame * source.bytesPerValue
        let chunk = max(1, min(cols, options.chunkMB * (1 << 20) / max(1, perPosition)))
        var packed = [Double](repeating: .nan, count: (payload.row1 - payload.row0) * cols * nf)
        var empty = 0
        for row in payload.row0..<payload.row1 {
            for c0 in stride(from: 0, to: cols, by: chunk) {
                if context.stop.isSet { throw TaskError("nanodiff task stopped: the worker is shutting down or the job was cancelled") }
                let c1 = min(cols, c0 + chunk)
                let features = try analyse(source, row: row, cols: c0..<c1, payload: payload, threads: options.threads)
                for (i, f) in features.enumerated() {
                    guard let f else {
                        throw TaskError("\(files[0]): scan position (x \(c0 + i), y \(row)) holds NaN or infinite values in \(source.dataset): mask or replace them (e.g. with 0) before running")
                    }
                    if !f.isValid { empty += 1 }
                    let base = ((row - payload.row0) * cols + c0 + i) * nf
                    packed.replaceSubrange(base..<(base + nf), with: f.packed)
                }
            }
        }
        try AtomicFile.write(out) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(packed, shape: [payload.row1 - payload.row0, cols, nf], to: "/features")
            try file.write([Int64(payload.row0), Int64(payload.row1)], shape: [2], to: "/rows")
            try file.close()
        }
        return ShardResult(output: NanodiffShardOutput(featuresFile: out, empty: empty))
    }

    static func analyse(_ source: NanodiffScanSource, row: Int, cols: Range<Int>, payload: NanodiffShardPayload, threads: Int) throws -> [NanodiffFeatures?] {
        let count = source.angles * cols.count * source.frame
        let (w, h) = (source.shape[4], source.shape[3])
        if source.readsUInt16 {
            var buffer = [UInt16](repeating: 0, count: count)
            try buffer.withUnsafeMutableBufferPointer { try source.read(row: row, cols: cols, into: $0) }
            return buffer.withUnsafeBufferPointer {
                NanodiffPositionAnalysis.analyse($0, angles: source.angles, positions: cols.count, width: w, height: h,
                                                 anglesDeg: payload.anglesDeg, geometry: payload.geometry, threads: threads)
            }
        }
        var buffer = [Float](repeating: 0, count: count)
        try buffer.withUnsafeMutableBufferPointer { try source.read(row: row, cols: cols, into: $0) }
        return buffer.withUnsafeBufferPointer {
            NanodiffPositionAnalysis.analyse($0, angles: source.angles, positions: cols.count, width: w, height: h,
                                             anglesDeg: payload.anglesDeg, geometry: payload.geometry, threads: threads)
        }
    }
}
