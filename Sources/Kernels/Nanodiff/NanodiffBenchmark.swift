import Foundation

/// `ctl bench nanodiff`: the per-position analysis (three passes per frame, moments, q
/// mapping, features) on a uint16 block in memory laid out as a shard reads it
/// ([angle, position, det_row, det_col]), one thread, against the read bandwidth of the same
/// buffer measured in the same run.
public enum NanodiffBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var angles: Int, positions: Int, detector: Int
        public var bytes: Int
        public var readGBs: Double
        public var kernelGBs: Double
        public var seconds: Double
        public var keptVoxelsPerPosition: Double

        public var description: String {
            let total = 200.0 * 200 * 100 * 256 * 256 * 2
            return """
                nanodiff bench: \(positions) positions × \(angles) angles × \(detector)² uint16 detector = \(String(format: "%.1f", Double(bytes) / 1e6)) MB in memory (rendered by the synthesizer: Poisson peak + background), one thread
                  memory read bandwidth (sum of the same buffer): \(String(format: "%.2f", readGBs)) GB/s
                  analysis (background, Poisson threshold, moments, q, features): \(String(format: "%.2f", kernelGBs)) GB/s = \(String(format: "%.0f", 100 * kernelGBs / readGBs)) % of read bandwidth (target ≥ 1 GB/s per core)
                  \(String(format: "%.1f", keptVoxelsPerPosition)) voxels kept per position; best of the repetitions \(String(format: "%.3f", seconds)) s
                  200×200 scan × 100 angles × 256² (\(String(format: "%.0f", total / 1e9)) GB): \(String(format: "%.0f", total / 1e9 / kernelGBs)) core-seconds at this rate
                """
        }
    }

    public static func run(detector: Int = 256, angles: Int = 100, positions: Int = 16, repetitions: Int = 3) -> Report {
        var p = NanodiffSynthParams()
        p.scanRows = 1; p.scanCols = positions
        p.detRows = detector; p.detCols = detector
        p.centerX = Double(detector) / 2 - 0.3; p.centerY = Double(detector) / 2 + 0.2
        p.angles = angles
        p.peakSigma = 2.5 * p.geometry.wavenumber * p.pixelUm * 1e-6 / p.distanceM
        p.rockingHalfRangeDeg = p.suggestedHalfRangeDeg
        p.dislocations = [.init(x: Double(positions) / 2, y: 0.3, sign: 1)]
        let (data, _) = NanodiffSynthesizer.render(p)
        let bytes = data.count * 2
        var bestRead = Double.infinity, bestKernel = Double.infinity, kept = 0.0
        data.withUnsafeBufferPointer { buffer in
            for _ in 0..<max(1, repetitions) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let s = readSum(buffer)
                let t1 = DispatchTime.now().uptimeNanoseconds
                bestRead = min(bestRead, Double(t1 - t0) / 1e9)
                let features = NanodiffPositionAnalysis.analyse(buffer, angles: angles, positions: positions, width: detector, height: detector,
                                                                anglesDeg: p.anglesDeg, geometry: p.geometry, threads: 1)
                let t2 = DispatchTime.now().uptimeNanoseconds
                bestKernel = min(bestKernel, Double(t2 - t1) / 1e9)
                kept = Double(features.reduce(0) { $0 + ($1?.voxels ?? 0) }) / Double(positions) + Double(s & 0)
            }
        }
        return Report(angles: angles, positions: positions, detector: detector, bytes: bytes, readGBs: Double(bytes) / bestRead / 1e9,
                      kernelGBs: Double(bytes) / bestKernel / 1e9, seconds: bestKernel, keptVoxelsPerPosition: kept)
    }

    /// Sums the buffer as 64-bit words (what reading it costs at best).
    public static func readSum(_ buffer: UnsafeBufferPointer<UInt16>) -> UInt64 {
        let raw = UnsafeRawBufferPointer(buffer)
        let words = raw.count / 64
        var acc = SIMD8<UInt64>()
        for i in 0..<words { acc &+= raw.loadUnaligned(fromByteOffset: i * 64, as: SIMD8<UInt64>.self) }
        return acc.wrappedSum()
    }
}
