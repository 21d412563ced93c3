import ArgumentParser
import Foundation
import Shared

/// `ctl bench formats`: how fast the TEM frame readers turn files into Float frames, one
/// thread, from the page cache (the files are read once before timing, so the figure is the
/// reader's, not the disk's), and the widening kernel alone. Also the peak RSS, which stays at
/// a few frames whatever the file size (readers stream).
struct BenchFormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "Reader speed: uncompressed TIFF/MRC/DM4/SER and LZW/Deflate TIFF stacks, H.264 video, Gatan 4D DM4 (transposed), Merlin RAW unpacking, sample widening alone, and Dectris bitshuffle/LZ4 chunks (GB/s per core).")

    @Option(name: .long, help: "Frame side in pixels.")
    var side: Int = 512

    @Option(name: .long, help: "Frames per stack.")
    var frames: Int = 200

    @Option(name: .long, help: "Timed passes over each stack (the best is reported).")
    var passes: Int = 3

    @Option(name: .long, help: "Where the stacks are written (removed afterwards).")
    var dir: String = NSTemporaryDirectory()

    @Option(name: .long, help: "Also stream a sparse MRC stack of this many GB (holes read as zeros: no disk needed) and report the peak RSS.")
    var sparseGB: Int?

    func validate() throws {
        guard (16...8192).contains(side) else { throw ValidationError("--side must be 16…8192") }
        guard (1...100_000).contains(frames) else { throw ValidationError("--frames must be 1…100000") }
        guard (1...100).contains(passes) else { throw ValidationError("--passes must be 1…100") }
    }

    func run() throws {
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        let work = (dir as NSString).appendingPathComponent("slipline-bench-formats-\(getpid())")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // One frame of structure (a smooth pattern plus noise), repeated with a shift per frame.
        var g = SystemRandomNumberGenerator()
        let base = (0..<(side * side)).map { i in 20_000 + 8_000 * sin(Double(i % side) / 9) * cos(Double(i / side) / 13) + Double.random(in: 0..<2_000, using: &g) }
        let stackFrames = (0..<frames).map { f in (0..<(side * side)).map { base[($0 + f * 7) % base.count] } }
        var load = [0.0, 0, 0]
        _ = getloadavg(&load, 3)
        print("stacks: \(frames) frames of \(side)×\(side) uint16 (\(String(format: "%.0f", Double(frames * side * side * 2) / 1e6)) MB each), one thread, page cache warm, best of \(passes), per core = per second of the thread's CPU time; "
              + String(format: "load average %.2f %.2f %.2f", load[0], load[1], load[2]))

        var tiff = TIFFWriter()
        tiff.rowsPerStrip = side
        try measure("TIFF uncompressed", path: work + "/u.tif") { try tiff.write(path: $0, width: side, height: side, frames: stackFrames) }
        tiff.compression = .lzw
        try measure("TIFF LZW", path: work + "/lzw.tif") { try tiff.write(path: $0, width: side, height: side, frames: stackFrames) }
        tiff.compression = .deflate
        try measure("TIFF Deflate", path: work + "/deflate.tif") { try tiff.write(path: $0, width: side, height: side, frames: stackFrames) }
        try measure("MRC mode 6", path: work + "/s.mrc") { try MRCWriter(mode: 6).write(path: $0, width: side, height: side, frames: stackFrames) }
        try measure("DM4", path: work + "/s.dm4") { try DMWriter(version: 4).write(path: $0, width: side, height: side, frames: stackFrames) }
        try measure("TIA SER", path: work + "/s_1.ser") { try SERWriter().write(path: $0, width: side, height: side, frames: stackFrames) }
        try videoDecode(stackFrames, in: work)
        try dmCube(in: work)
        try mibRaw()
        widening()
        print(String(format: "peak RSS so far: %.0f MB (the stacks above were generated in memory before writing)", peakRSSMB()))
        if let gb = sparseGB { try streamSparse(gb: gb, in: work) }
        try bitshuffleLZ4()
    }

    /// Dectris bitshuffle/LZ4 chunks: decode speed against the naive reference.
    private func bitshuffleLZ4() throws {
        let frames = 64, side = 192, repeats = passes
        var load = [0.0, 0, 0]
        _ = getloadavg(&load, 3)
        print("bench formats: bitshuffle/LZ4, \(frames) chunks of one \(side)×\(side) uint16 frame, 4096-element blocks, one thread, best of \(repeats), bytes per second of thread CPU time; "
              + String(format: "load average %.2f %.2f %.2f", load[0], load[1], load[2]))
        var mismatch = false, worst = Double.infinity
        // Sparse to dense counting data: the mean count per pixel decides the LZ4 ratio.
        for (index, mean) in [0.02, 0.2, 1.0, 5.0, 50.0].enumerated() {
            let f = BitshuffleLZ4Benchmark.run(frames: frames, side: side, mean: mean, repeats: repeats, seed: UInt64(index + 1))
            print(String(format: "mean %6.2f counts/px  ratio %.3f  chunk %6.2f GB/s  (LZ4 %6.2f GB/s, un-transpose %6.2f GB/s)  %@",
                         mean, f.ratio, f.chunkBytesPerSecond / 1e9, f.lz4BytesPerSecond / 1e9, f.unshuffleBytesPerSecond / 1e9,
                         f.matchesReference ? "matches reference" : "DIFFERS FROM REFERENCE"))
            mismatch = mismatch || !f.matchesReference
            worst = min(worst, f.chunkBytesPerSecond)
        }
        print(String(format: "bitshuffle/LZ4 worst case: %.2f GB/s decoded per core (target ≥ 1 GB/s)", worst / 1e9))
        if mismatch {
            print("ERROR: the decoder differs from the naive reference")
            throw ExitCode(1)
        }
    }

    /// The calling thread's CPU time: per-core speed even on a machine shared with other work.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// H.264 decoding through libavcodec (one thread, as a worker task decodes): the stacks'
    /// frames as 8-bit grey plus fresh noise, encoded here with libx264 (YUV 4:2:0, preset
    /// medium, default key-frame interval) at CRF 18 and at the default CRF 23, read back to
    /// Float frames. Target ≥ 500 frames/s per core at 512² on the CRF 18 clip.
    private func videoDecode(_ stackFrames: [[Double]], in work: String) throws {
        guard let codec = ["libx264", "mpeg4"].first(where: VideoWriter.hasEncoder) else {
            print("H.264 video: this libavcodec has no H.264 (libx264) encoder to make the clip; skipped")
            return
        }
        // Fresh shot noise in every frame (±6 grey levels), as a camera gives: the stacks' own
        // noise moves with their pattern, which motion compensation predicts away.
        var g = SystemRandomNumberGenerator()
        let noisy = stackFrames.map { $0.map { UInt8(min(255, max(0, $0 / 256 + Double.random(in: -6...6, using: &g)))) } }
        // CRF 18 (near-transparent: the noise is kept, the harder stream) is the target's clip;
        // libx264's default CRF 23 follows for comparison (it quantises most of that noise away).
        for crf in codec == "libx264" ? ["18", "23"] : ["-"] {
            try decodeClip(noisy, codec: codec, crf: crf, path: work + "/clip-\(crf).mp4")
        }
    }

    /// Encodes `noisy` with `codec` (libx264 at `crf`, preset medium, YUV 4:2:0) and prints the
    /// best of `passes` decodes through ``VideoStack``.
    private func decodeClip(_ noisy: [[UInt8]], codec: String, crf: String, path: String) throws {
        var writer = VideoWriter(codec: codec)
        writer.options = codec == "libx264" ? ["crf": crf, "preset": "medium"] : ["q": "4"]
        writer.grey = false  // YUV 4:2:0, as cameras' movies are (grey 4:0:0 decodes faster)
        try writer.write(path: path, width: side, height: side, frames: noisy)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        var pixels: [Float] = []
        var best = Double.infinity, bestWall = Double.infinity
        for pass in 0...passes {
            let stack = try VideoStack(path: path)
            let start = DispatchTime.now().uptimeNanoseconds, cpu = Self.threadCPUSeconds()
            for f in 0..<stack.frameCount { try stack.readFrame(f, into: &pixels) }
            let seconds = Self.threadCPUSeconds() - cpu, wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if pass > 0 { best = min(best, seconds); bestWall = min(bestWall, wall) }
        }
        let label = codec == "libx264" ? "H.264 CRF \(crf)" : codec
        let target = crf == "23" ? "libx264's default quality, for comparison" : "target ≥ 500 at 512²"
        print(String(format: "%@ video %d×%d ×%d (%.1f MB, %.0f kbit/frame): %6.0f frames/s per core (wall clock %6.0f frames/s; %@)",
                     label, side, side, frames, Double(size) / 1e6, Double(size) * 8 / 1e3 / Double(frames),
                     Double(frames) / best, Double(frames) / bestWall, target))
    }

    /// Gatan 4D DM4 as stored (scan axes fastest): read in 4 MiB requests (a stem4d shard's
    /// tiles) and whole, from the page cache; target ≥ 1 GB/s of frames per core. Then the tile
    /// transpose kernel alone against its naive reference.
    private func dmCube(in work: String) throws {
        let path = work + "/cube.dm4"
        let (scanRows, scanCols, det) = (64, 128, 128)  // 8192 positions × 128² uint16 = 256 MiB
        try DMCubeBenchmark.writeCube(path: path, scanRows: scanRows, scanCols: scanCols, detSide: det)
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try DMCubeBenchmark.read(path: path, framesPerRequest: scanRows * scanCols, passes: 1)  // fills the page cache
        var mismatch = false
        for (label, frames) in [("4 MiB requests", (4 << 20) / (det * det * 2)), ("whole cube", scanRows * scanCols)] {
            let f = try DMCubeBenchmark.read(path: path, framesPerRequest: frames, passes: passes)
            mismatch = mismatch || !f.matchesStored
            print(String(format: "Gatan 4D DM4 %d×%d scan × %d² uint16 (256 MiB, scan axes fastest), %@ (%d frames): %6.2f GB/s per core (wall clock %6.2f GB/s; target ≥ 1)  %@",
                         scanCols, scanRows, det, label, frames, f.bytesPerCPUSecond / 1e9, f.bytesPerWallSecond / 1e9,
                         f.matchesStored ? "values as stored" : "VALUES DIFFER FROM THE STORED ONES"))
        }
        let k = DMCubeBenchmark.kernel(rows: 256, cols: 2048, repeats: 3 * passes)
        print(String(format: "tile transpose uint16 256×2048: %6.2f GB/s per core (naive loop %6.2f GB/s)  %@", k.fast / 1e9, k.naive / 1e9,
                     k.equal ? "matches reference" : "DIFFERS FROM REFERENCE"))
        if mismatch || !k.equal { throw ExitCode(1) }
    }

    /// Merlin RAW frames decoded to counts by the SIMD unpacker and its naive reference: the
    /// 2×2 quad of 256² chips at counter depths 1, 6, 12, and a 512² 24-bit chip.
    private func mibRaw() throws {
        let frames = 64
        var mismatch = false
        for (depth, quad) in [(12, true), (6, true), (1, true), (24, false)] {
            let f = try MIBRawUnpackBenchmark.run(depth: depth, quad: quad, chipSide: 256, frames: frames, repeats: passes)
            mismatch = mismatch || !f.matchesReference
            print(String(format: "Merlin RAW %2d-bit %@ 512², %d frames: %7.0f frames/s per core, %5.2f GB/s of counts (uint32), %5.2f GB/s stored (naive loop %6.0f frames/s)  %@",
                         depth, quad ? "quad  " : "1 chip", frames, f.framesPerSecond, f.framesPerSecond * 512 * 512 * 4 / 1e9,
                         f.framesPerSecond * Double(f.payloadBytes) / 1e9, f.naiveFramesPerSecond,
                         f.matchesReference ? "matches reference" : "DIFFERS FROM REFERENCE"))
        }
        if mismatch { throw ExitCode(1) }
    }

    private func peakRSSMB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Current resident set (VmRSS), MB.
    private func currentRSSMB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }

    /// A `gb`-GB MRC stack as a sparse file (a header, then holes), read frame by frame: the
    /// resident set must stay at a frame or two whatever the file size.
    private func streamSparse(gb: Int, in work: String) throws {
        let path = work + "/sparse.mrc"
        let frameBytes = side * side * 2
        let count = gb * 1_000_000_000 / frameBytes
        _ = FileManager.default.createFile(atPath: path, contents: Data(MRCWriter(mode: 6).header(width: side, height: side, frames: count)))
        guard truncate(path, off_t(1024 + count * frameBytes)) == 0 else { throw ValidationError("cannot size \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = currentRSSMB()
        let stack = try FrameStackFormat.open(path: path)
        var pixels: [Float] = []
        var highest = before
        let start = DispatchTime.now().uptimeNanoseconds
        for f in 0..<stack.frameCount {
            try stack.readFrame(f, into: &pixels)
            if f % 1000 == 0 { highest = max(highest, currentRSSMB()) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "sparse MRC %d GB (%d frames): %.1f s, %.2f GB/s; resident set %.0f MB before, at most %.0f MB while streaming",
                     gb, count, seconds, Double(count * frameBytes) / seconds / 1e9, before, highest))
    }

    /// Writes a stack, reads it once (page cache), then times `passes` full reads.
    private func measure(_ label: String, path: String, write: (String) throws -> Void) throws {
        try write(path)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        var pixels: [Float] = []
        var best = Double.infinity, bestWall = Double.infinity
        var checksum: Float = 0
        for pass in 0...passes {
            let stack = try FrameStackFormat.open(path: path)
            let start = DispatchTime.now().uptimeNanoseconds, cpu = Self.threadCPUSeconds()
            for f in 0..<stack.frameCount {
                try stack.readFrame(f, into: &pixels)
                checksum += pixels[f % pixels.count]
            }
            let seconds = Self.threadCPUSeconds() - cpu, wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if pass > 0 { best = min(best, seconds); bestWall = min(bestWall, wall) }  // pass 0 fills the page cache
        }
        let raw = Double(frames * side * side * 2)
        print(label.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: " %7.0f MB file: %6.2f GB/s of samples per core (%6.2f GB/s of file), %8.0f frames/s; wall clock %6.2f GB/s   [checksum %.3g]",
                     Double(size) / 1e6, raw / best / 1e9, Double(size) / best / 1e9, Double(frames) / best, raw / bestWall / 1e9, checksum))
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The widening kernel alone, per sample type, on one frame-sized buffer.
    private func widening() {
        let n = side * side
        var out = [Float](repeating: 0, count: n)
        for type in [SampleType.uint8, .uint16, .int16, .float32, .float16, .uint32] {
            let bytes = [UInt8](repeating: 0x3C, count: n * type.byteCount)
            let reps = max(1, 200_000_000 / (n * type.byteCount))
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<reps {
                bytes.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { SampleWidening.widen(src, type: type, byteSwapped: false, into: $0) } }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("widen " + type.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: " %6.2f GB/s in, %6.2f Gsamples/s",
                         Double(reps * n * type.byteCount) / seconds / 1e9, Double(reps * n) / seconds / 1e9))
        }
    }
}
