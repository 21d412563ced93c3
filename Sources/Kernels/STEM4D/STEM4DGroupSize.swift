#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frames per group of the C pattern pass of 16-bit input, from the frame size and this CPU's L2.
///
/// The pass reads one or two 64-byte lines of every frame of a group in turn, so a group is that
/// many interleaved streams. Streams whose addresses differ by a multiple of the L2 way size
/// (size / associativity: 64 KiB here) land in the same L2 sets, and with the lines the hardware
/// prefetches ahead of each they evict one another: measured on this machine (C probe of the
/// pass, 512 MiB, 16-bit counts, thread CPU time as % of the read probe, alternated), 8 frames
/// vs 4 — 256² frames (all 8 streams in one set) 51–53 vs 64–65 %, 512² 41 vs 67 %; 128² (4
/// streams per set at 8) 53–54 vs 55–56 %; 64² (no two alike) 54–55 vs 48–50 %; 96² 44–45 vs
/// 39–40 %. The rule: the largest of 8 and 4 frames at which at most `ways / 4` streams share a
/// set (counting two streams as sharing when they are within `window` bytes of each other modulo
/// the way size: the prefetcher runs a few lines ahead).
enum STEM4DGroupSize {
    /// Bytes within which two streams count as sharing L2 sets (one page: the prefetchers stay in it).
    static let window = 4096

    /// The L2 way size and associativity (sysconf), or 64 KiB and 16 ways where unknown.
    static let l2: (waySize: Int, ways: Int) = {
        #if canImport(Glibc)
        let size = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE)), ways = sysconf(Int32(_SC_LEVEL2_CACHE_ASSOC))
        if size > 0 && ways > 0 && size % ways == 0 { return (size / ways, ways) }
        #endif
        return (64 << 10, 16)
    }()

    /// The most of `frames` streams `frameBytes` apart that fall within `window` bytes of one
    /// another modulo `waySize` (1: no two alike).
    static func sharing(frames: Int, frameBytes: Int, waySize: Int, window: Int = window) -> Int {
        guard waySize > 0 else { return 1 }
        let offsets = (0..<frames).map { ($0 &* frameBytes) % waySize }
        return offsets.map { a in
            offsets.filter { b in
                let d = abs(a - b)
                return min(d, waySize - d) < window
            }.count
        }.max() ?? 1
    }

    /// Frames per group for frames of `frameBytes` on an L2 of `waySize`-byte ways, `ways` ways.
    /// Frames under `window` bytes make one contiguous run, not separate streams: 8.
    static func frames(frameBytes: Int, waySize: Int, ways: Int) -> Int {
        frameBytes < window || sharing(frames: 8, frameBytes: frameBytes, waySize: waySize) <= max(1, ways / 4) ? 8 : 4
    }

    /// `SLIPLINE_STEM4D_GROUP=N` (1–256), to compare; nil when unset.
    static let override: Int? = {
        guard let text = getenv("SLIPLINE_STEM4D_GROUP").map({ String(cString: $0) }), let n = Int(text), (1...256).contains(n) else { return nil }
        return n
    }()

    /// Frames per group for frames of `framePixels` 16-bit pixels on this machine: 8 where the
    /// pass's frame loops are unrolled (each frame then has its own load instruction, which the
    /// per-instruction stride prefetcher follows; the 4-frame rule above was measured with the
    /// rolled loop, where 8 frames of 256² ran at 51–53 % of the read probe — unrolled they run at
    /// 84–91 %, 4 frames at 64–75 %: C probe, 6 December, docs/stem4d.md), else the L2 rule.
    static func frames(framePixels: Int, unrolled: Bool = STEM4DVectorUnits.unrolledFrames) -> Int {
        override ?? (unrolled ? 8 : frames(frameBytes: framePixels &* 2, waySize: l2.waySize, ways: l2.ways))
    }
}
