import Foundation

/// `ctl bench formats`' Merlin RAW figures: random frames of one layout decoded to counts on one
/// thread by ``MIBRawLayout/decode(_:into:)`` (the SIMD unpacker) and by its naive reference,
/// checked equal; per second of the thread's CPU time, best of the repeats.
public enum MIBRawUnpackBenchmark {
    public struct Figures: Sendable {
        /// Frames decoded per second of thread CPU time: SIMD unpacker, naive reference.
        public var framesPerSecond, naiveFramesPerSecond: Double
        /// Stored payload bytes per frame (what the decoder reads).
        public var payloadBytes: Int
        public var matchesReference: Bool
    }

    /// `frames` frames of counter depth `depth`; a 2×2 quad of `chipSide`² chips, or (24-bit,
    /// which has no quad layout) one `2·chipSide`² chip.
    public static func run(depth: Int, quad: Bool, chipSide: Int, frames: Int, repeats: Int) throws -> Figures {
        let side = quad ? chipSide : 2 * chipSide
        let layout = try MIBRawLayout(counterDepth: depth, chips: quad ? 4 : 1, sensorLayout: quad ? "2x2" : "1x1",
                                      storedWidth: quad ? 4 * side : (depth == 24 ? 2 * side : side), storedHeight: side, path: "bench")
        var g = SystemRandomNumberGenerator()
        let payload = (0..<(frames * layout.payloadBytes)).map { _ in UInt8.random(in: 0...255, using: &g) }
        let pixels = layout.width * layout.height
        var fast = [UInt32](repeating: 0, count: pixels), naive = fast
        var matches = true
        let (fastSeconds, naiveSeconds) = payload.withUnsafeBytes { p -> (Double, Double) in
            let frame = { (f: Int) in p.baseAddress! + f * layout.payloadBytes }
            for f in 0..<min(frames, 4) {
                fast.withUnsafeMutableBufferPointer { layout.decode(frame(f), into: $0.baseAddress!) }
                naive.withUnsafeMutableBufferPointer { layout.decodeNaive(frame(f), into: $0.baseAddress!) }
                matches = matches && fast == naive
            }
            let a = best(repeats) { fast.withUnsafeMutableBufferPointer { out in for f in 0..<frames { layout.decode(frame(f), into: out.baseAddress!) } } }
            let b = best(repeats) { naive.withUnsafeMutableBufferPointer { out in for f in 0..<frames { layout.decodeNaive(frame(f), into: out.baseAddress!) } } }
            return (a, b)
        }
        return Figures(framesPerSecond: Double(frames) / fastSeconds, naiveFramesPerSecond: Double(frames) / naiveSeconds,
                       payloadBytes: layout.payloadBytes, matchesReference: matches)
    }

    private static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DMCubeBenchmark.threadCPUSeconds()
            body()
            best = min(best, DMCubeBenchmark.threadCPUSeconds() - start)
        }
        return best
    }
}
