import Foundation
import Kernels
import Shared

/// `ctl bench nanodiff --file`: what a shard does, timed — read one scan row across every
/// angle from a 5D HDF5 file in the page cache (`NanodiffScanSource.read`, the shard's reader)
/// and analyse it, one thread. The file has the issue's per-position layout (100 angles × 256²
/// uint16) over a scaled-down scan (`rows` × `positions`), in two storage layouts: contiguous
/// (what `ctl synth nanodiff` writes) and one chunk per detector frame (what area-detector
/// writers produce; read both by copying the stored chunks, what shards do, and through the
/// hyperslab, for comparison). Reading a row's hyperslab does not depend on the number of scan rows, and
/// per angle it is one run of `positions` frames, as in a 200×200 scan.
enum NanodiffFileBenchmark {
    struct Layout {
        var name: String
        var readGBs: Double
        var shardGBs: Double
    }

    static func run(detector: Int, angles: Int, positions: Int, rows: Int, repetitions: Int, directory: String) throws -> String {
        var p = NanodiffSynthParams()
        p.scanRows = 1; p.scanCols = positions
        p.detRows = detector; p.detCols = detector
        p.centerX = Double(detector) / 2 - 0.3; p.centerY = Double(detector) / 2 + 0.2
        p.angles = angles
        p.peakSigma = 2.5 * p.geometry.wavenumber * p.pixelUm * 1e-6 / p.distanceM
        p.rockingHalfRangeDeg = p.suggestedHalfRangeDeg
        let (row, _) = NanodiffSynthesizer.render(p)
        let frame = detector * detector, perRow = angles * positions * frame
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var layouts: [Layout] = []
        let frameChunks = [1, 1, 1, detector, detector]
        for (name, chunk, direct) in [("contiguous", nil, true), ("one chunk per frame, stored chunks copied", frameChunks, true),
                                      ("one chunk per frame, hyperslab", frameChunks, false)] as [(String, [Int]?, Bool)] {
            let path = (directory as NSString).appendingPathComponent("nanodiff-bench-\(chunk == nil ? "contiguous" : "chunked").h5")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let file = try HDF5File.create(path: path)
            let data = try file.createDataset("/entry/data/data", of: UInt16.self, shape: [angles, rows, positions, detector, detector],
                                              options: HDF5WriteOptions(chunkShape: chunk))
            try row.withUnsafeBufferPointer { block in
                for a in 0..<angles {
                    let slab = UnsafeBufferPointer(rebasing: block[(a * positions * frame)..<((a + 1) * positions * frame)])
                    for r in 0..<rows { try data.write(slab, ranges: [a..<(a + 1), r..<(r + 1), 0..<positions, 0..<detector, 0..<detector]) }
                }
            }
            try file.close()
            let source = try NanodiffScanSource(files: [path], dataset: nil)
            var buffer = [UInt16](repeating: 0, count: perRow)
            var bestRead = Double.infinity, bestShard = Double.infinity
            // The first pass brings the file into the page cache; it is not timed.
            for pass in 0...max(1, repetitions) {
                var read = 0.0, total = 0.0
                for r in 0..<rows {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    try buffer.withUnsafeMutableBufferPointer { try source.read(row: r, cols: 0..<positions, into: $0, directChunks: direct) }
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    _ = buffer.withUnsafeBufferPointer {
                        NanodiffPositionAnalysis.analyse($0, angles: angles, positions: positions, width: detector, height: detector,
                                                         anglesDeg: p.anglesDeg, geometry: p.geometry, threads: 1)
                    }
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    read += Double(t1 - t0) / 1e9
                    total += Double(t2 - t0) / 1e9
                }
                if pass > 0 { bestRead = min(bestRead, read); bestShard = min(bestShard, total) }
            }
            let bytes = Double(rows * perRow * 2)
            layouts.append(Layout(name: name, readGBs: bytes / bestRead / 1e9, shardGBs: bytes / bestShard / 1e9))
        }
        let memory = row.withUnsafeBufferPointer { block in
            (0..<3).map { _ -> Double in
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = NanodiffBenchmark.readSum(block)
                return Double(block.count * 2) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) / 1e9
            }.max()!
        }
        var lines = ["nanodiff file bench: 5D HDF5 [\(angles) angles, \(rows) rows, \(positions) positions, \(detector)², uint16] = "
            + String(format: "%.0f MB", Double(rows * perRow * 2) / 1e6) + " from the page cache, read row by row across every angle as a shard does, one thread",
            String(format: "  memory read bandwidth (sum of a buffer): %.2f GB/s", memory)]
        for l in layouts {
            lines.append(String(format: "  %@: HDF5 read %.2f GB/s (%.0f %% of memory bandwidth); read + analysis %.2f GB/s per core (%.0f %%; target ≥ 1 GB/s)",
                                l.name, l.readGBs, 100 * l.readGBs / memory, l.shardGBs, 100 * l.shardGBs / memory))
        }
        return lines.joined(separator: "\n")
    }
}
