import Foundation
import Kernels
import Shared

/// The partial result file of one `stem4d` shard: HDF5 with `/images` (masks × frames,
/// float32), `/sum_pattern` (float64), `/max_pattern` (float32) and `/range` (int64:
/// first frame, frame count, pattern count).
enum STEM4DPart {
    static func write(_ partial: STEM4DVirtualPartial, to path: String) throws {
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(partial.images, shape: [partial.maskCount, partial.frameCount], to: "/images")
            try file.write(partial.sumPattern, shape: [partial.sumPattern.count], to: "/sum_pattern")
            try file.write(partial.maxPattern, shape: [partial.maxPattern.count], to: "/max_pattern")
            try file.write([Int64(partial.firstFrame), Int64(partial.frameCount), Int64(partial.patternCount)], shape: [3], to: "/range")
            try file.close()
        }
    }

    static func read(_ path: String, maskCount: Int, detectorPixels: Int) throws -> STEM4DVirtualPartial {
        let file = try HDF5File.open(path: path)
        let range = try file.dataset("/range").read(Int64.self)
        guard range.count == 3 else { throw TaskError("\(path): /range has \(range.count) values, not 3; re-run the job") }
        var partial = STEM4DVirtualPartial(firstFrame: Int(range[0]), frameCount: Int(range[1]), maskCount: maskCount,
                                           detectorPixels: detectorPixels)
        let images = try file.dataset("/images").read(Float.self)
        let sum = try file.dataset("/sum_pattern").read(Double.self)
        let max = try file.dataset("/max_pattern").read(Float.self)
        guard images.count == partial.images.count, sum.count == detectorPixels, max.count == detectorPixels else {
            throw TaskError("\(path): part file does not match the job's detectors; re-run the job")
        }
        partial.images = images
        partial.sumPattern = sum
        partial.maxPattern = max
        partial.patternCount = Int(range[2])
        try file.close()
        return partial
    }
}
