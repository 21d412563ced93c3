import Foundation

/// `ctl bench formats`' Gatan 4D DM4 figures: a scan-fastest cube written here (values a code
/// of position and pixel), read by ``DMCube`` in requests of a given size from the page cache,
/// bytes of frames per second of the thread's CPU time; and ``TileTranspose`` alone against its
/// naive reference.
public enum DMCubeBenchmark {
    public struct Figures: Sendable {
        /// Frame bytes per second of thread CPU time and of wall clock, best of the passes.
        public var bytesPerCPUSecond, bytesPerWallSecond: Double
        public var matchesStored: Bool
    }

    /// Writes a `scanRows × scanCols` scan of `detSide²` uint16 frames to `path` (scan axes
    /// fastest, as Gatan stores it).
    public static func writeCube(path: String, scanRows: Int, scanCols: Int, detSide: Int) throws {
        let positions = scanRows * scanCols, pixels = detSide * detSide
        var writer = DMWriter(version: 4)
        writer.sampleType = .uint16
        let offset = try writer.write4DSparse(path: path, scanRows: scanRows, scanCols: scanCols, detRows: detSide, detCols: detSide)
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw FormatError(.writeFailed, .write, file: path, problem: String(cString: strerror(errno))) }
        defer { close(fd) }
        var run = [UInt16](repeating: 0, count: positions)
        for p in 0..<pixels {
            for s in 0..<positions { run[s] = value(position: s, pixel: p) }
            let written = run.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset + p * positions * 2)) }
            guard written == positions * 2 else { throw FormatError(.writeFailed, .write, file: path, problem: "short write") }
        }
    }

    static func value(position s: Int, pixel p: Int) -> UInt16 { UInt16(truncatingIfNeeded: p &* 31 &+ s &* 7) }

    /// Reads every frame of the cube at `path` in requests of `framesPerRequest` frames, the
    /// file opened afresh in each pass (as each task does: its mapping's page faults count).
    public static func read(path: String, framesPerRequest: Int, passes: Int) throws -> Figures {
        let probe = try DMCube(path: path)
        let n = max(1, min(framesPerRequest, probe.frameCount)), frameBytes = probe.framePixels * 2
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: n * frameBytes, alignment: 64)
        defer { out.deallocate() }
        var cpu = Double.infinity, wall = Double.infinity, matches = true
        for _ in 0..<max(1, passes) {
            let start = DispatchTime.now().uptimeNanoseconds, c0 = threadCPUSeconds()
            let cube = try DMCube(path: path)
            for f in stride(from: 0, to: cube.frameCount, by: n) {
                let range = f..<min(cube.frameCount, f + n)
                try cube.readFrames(range, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<(range.count * frameBytes)]))
                let frames = out.bindMemory(to: UInt16.self)
                let last = range.count - 1, p = (f * 131) % cube.framePixels
                matches = matches && frames[last * cube.framePixels + p] == value(position: range.upperBound - 1, pixel: p)
            }
            cpu = min(cpu, threadCPUSeconds() - c0)
            wall = min(wall, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let bytes = Double(probe.frameCount * frameBytes)
        return Figures(bytesPerCPUSecond: bytes / cpu, bytesPerWallSecond: bytes / wall, matchesStored: matches)
    }

    /// The transpose kernel alone on `rows × cols` uint16 (`rows` detector pixels, `cols`
    /// positions), against the naive loop: (kernel bytes/CPU-s, naive bytes/CPU-s, equal).
    public static func kernel(rows: Int, cols: Int, repeats: Int) -> (fast: Double, naive: Double, equal: Bool) {
        let src = (0..<(rows * cols)).map { UInt16(truncatingIfNeeded: $0 &* 40503) }
        var fast = [UInt16](repeating: 0, count: rows * cols), naive = fast
        func time(_ body: () -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<max(1, repeats) { let c0 = threadCPUSeconds(); body(); best = min(best, threadCPUSeconds() - c0) }
            return best
        }
        let bytes = Double(rows * cols * 2)
        let tf = src.withUnsafeBytes { s in fast.withUnsafeMutableBufferPointer { d in time { TileTranspose.transpose(s.baseAddress!, srcStride: cols, rows: rows, cols: cols, into: d.baseAddress!, dstStride: rows) } } }
        let tn = src.withUnsafeBytes { s in naive.withUnsafeMutableBufferPointer { d in time { TileTranspose.transposeNaive(s.baseAddress!, srcStride: cols, rows: rows, cols: cols, into: d.baseAddress!, dstStride: rows) } } }
        return (bytes / tf, bytes / tn, fast == naive)
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
