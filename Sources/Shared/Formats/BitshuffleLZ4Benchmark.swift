import CLZ4
import Foundation

/// `ctl bench formats`' bitshuffle/LZ4 figures: Dectris-like chunks (one uint16 frame each,
/// the filter's default 4096-element blocks) of Poisson counts at a given mean, compressed
/// here, decoded on one thread by ``BitshuffleLZ4`` (and by its two stages alone), checked
/// against LZ4 + ``Bitshuffle/unshuffleReference(_:into:count:elementSize:)``.
public enum BitshuffleLZ4Benchmark {
    public struct Figures: Sendable {
        /// Decoded bytes per second of thread CPU time, best of the repeats: whole chunk, LZ4
        /// alone, un-transpose alone.
        public var chunkBytesPerSecond, lz4BytesPerSecond, unshuffleBytesPerSecond: Double
        /// Stored / decoded bytes.
        public var ratio: Double
        public var matchesReference: Bool
    }

    /// `frames` frames of `side × side` uint16 Poisson(`mean`) counts.
    public static func run(frames: Int, side: Int, mean: Double, repeats: Int, seed: UInt64) -> Figures {
        let count = side * side, frameBytes = 2 * count, blockElements = 4096
        var rng = SplitMix(state: seed)
        let chunks: [[UInt8]] = (0..<frames).map { _ in
            let values = (0..<count).map { _ in UInt16(min(65535, poisson(mean, &rng))) }
            return values.withUnsafeBytes { compress($0, elementSize: 2, blockElements: blockElements) }
        }
        let stored = chunks.reduce(0) { $0 + $1.count }
        var output = [UInt8](repeating: 0, count: frameBytes), reference = output, scratch: [UInt8] = []
        var matches = true
        for chunk in chunks.prefix(4) {
            chunk.withUnsafeBytes { c in output.withUnsafeMutableBytes { try? BitshuffleLZ4.decode(c, into: $0, elementSize: 2, scratch: &scratch, file: "bench", what: "chunk") } }
            referenceDecode(chunk, into: &reference, blockElements: blockElements)
            matches = matches && output == reference
        }
        let decoded = Double(frames * frameBytes)
        let whole = best(repeats) {
            for chunk in chunks {
                chunk.withUnsafeBytes { c in output.withUnsafeMutableBytes { try? BitshuffleLZ4.decode(c, into: $0, elementSize: 2, scratch: &scratch, file: "bench", what: "chunk") } }
            }
        }
        // The stages alone, on the same blocks.
        var block = [UInt8](repeating: 0, count: 2 * blockElements)
        let lz4 = best(repeats) {
            for chunk in chunks { forEachBlock(chunk) { src, size, n in _ = decompress(src, size, into: &block, bytes: 2 * n) } }
        }
        let transposed = [UInt8](repeating: 0x5A, count: frameBytes)
        let unshuffle = best(repeats) {
            for _ in 0..<frames {
                transposed.withUnsafeBytes { t in output.withUnsafeMutableBytes { o in
                    var at = 0
                    while at < count {
                        let n = min(blockElements, (count - at) / 8 * 8)
                        guard n > 0 else { break }
                        Bitshuffle.unshuffle(UnsafeRawBufferPointer(rebasing: t[(2 * at)...]), into: UnsafeMutableRawBufferPointer(rebasing: o[(2 * at)...]), count: n, elementSize: 2)
                        at += n
                    }
                } }
            }
        }
        return Figures(chunkBytesPerSecond: decoded / whole, lz4BytesPerSecond: decoded / lz4, unshuffleBytesPerSecond: decoded / unshuffle,
                       ratio: Double(stored) / decoded, matchesReference: matches)
    }

    /// A chunk as the filter writes it (the forward transpose by definition, then LZ4).
    static func compress(_ values: UnsafeRawBufferPointer, elementSize: Int, blockElements: Int) -> [UInt8] {
        let count = values.count / elementSize
        var out = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: UInt64(values.count).bigEndian) { out.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: UInt32(blockElements * elementSize).bigEndian) { out.replaceSubrange(8..<12, with: $0) }
        var done = 0
        while count - done >= 8 {
            let n = min(blockElements, (count - done) / 8 * 8), rowBytes = n / 8
            var shuffled = [UInt8](repeating: 0, count: n * elementSize)
            for e in 0..<n { for j in 0..<elementSize { for i in 0..<8 where (values[(done + e) * elementSize + j] >> i) & 1 == 1 {
                shuffled[(8 * j + i) * rowBytes + e / 8] |= 1 << (e % 8)
            } } }
            var packed = [UInt8](repeating: 0, count: Int(LZ4_compressBound(Int32(shuffled.count))))
            let size = shuffled.withUnsafeBytes { s in packed.withUnsafeMutableBytes { p in
                LZ4_compress_default(s.baseAddress!.assumingMemoryBound(to: CChar.self), p.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(s.count), Int32(p.count))
            } }
            withUnsafeBytes(of: UInt32(size).bigEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: packed.prefix(Int(size)))
            done += n
        }
        out.append(contentsOf: values[(done * elementSize)...])
        return out
    }

    private static func forEachBlock(_ chunk: [UInt8], _ body: (UnsafePointer<CChar>, Int32, Int) -> Void) {
        chunk.withUnsafeBytes { c in
            let total = Int(UInt64(bigEndian: c.loadUnaligned(as: UInt64.self))) / 2
            let blockElements = Int(UInt32(bigEndian: c.loadUnaligned(fromByteOffset: 8, as: UInt32.self))) / 2
            var at = 12, done = 0
            while total - done >= 8 {
                let n = min(blockElements, (total - done) / 8 * 8)
                let size = Int32(bitPattern: UInt32(bigEndian: c.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                body((c.baseAddress! + at + 4).assumingMemoryBound(to: CChar.self), size, n)
                at += 4 + Int(size)
                done += n
            }
        }
    }

    private static func decompress(_ src: UnsafePointer<CChar>, _ size: Int32, into block: inout [UInt8], bytes: Int) -> Int32 {
        block.withUnsafeMutableBytes { LZ4_decompress_safe(src, $0.baseAddress!.assumingMemoryBound(to: CChar.self), size, Int32(bytes)) }
    }

    private static func referenceDecode(_ chunk: [UInt8], into output: inout [UInt8], blockElements: Int) {
        var block = [UInt8](repeating: 0, count: 2 * blockElements)
        var done = 0
        forEachBlock(chunk) { src, size, n in
            _ = decompress(src, size, into: &block, bytes: 2 * n)
            block.withUnsafeBytes { b in output.withUnsafeMutableBytes { o in
                Bitshuffle.unshuffleReference(b, into: UnsafeMutableRawBufferPointer(rebasing: o[(2 * done)...]), count: n, elementSize: 2)
            } }
            done += n
        }
        let tail = output.count - 2 * done
        if tail > 0 { output.replaceSubrange((2 * done)..., with: chunk.suffix(tail)) }
    }

    /// Best thread CPU time of `repeats` runs of `body`, seconds: on a shared machine the
    /// wall time measures the neighbours; one thread's CPU time is the cost per core.
    private static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        func now() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        return (0..<max(1, repeats)).map { _ in
            let start = now()
            body()
            return max(now() - start, 1e-9)
        }.min()!
    }

    private static func poisson(_ mean: Double, _ rng: inout SplitMix) -> Int {
        // Knuth for small means, a rounded normal for large ones: counts, not statistics.
        if mean > 30 { return max(0, Int((mean + mean.squareRoot() * rng.normal()).rounded())) }
        let limit = exp(-mean)
        var k = 0, p = rng.unit()
        while p > limit { k += 1; p *= rng.unit() }
        return k
    }

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func normal() -> Double { (-2 * log(max(unit(), 1e-300))).squareRoot() * cos(2 * .pi * unit()) }
    }
}
