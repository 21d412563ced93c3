import ArgumentParser
import Foundation
import Kernels
import Shared
import Worker

/// `ctl bench stem4d`: virtual detectors (1, 2, 4, 8 circles; sparse and OpenBLAS dense)
/// on a cube in the page cache, against the single-thread read bandwidth of the same
/// mapping measured in the same run, with a check against the naive reference.
///
/// By default two 512 MiB cubes: 256×256 scan × 64×64 detector and 64×64 scan × 256×256
/// detector (a real detector's size).
struct BenchSTEM4DCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stem4d",
        abstract: "Virtual-detector speed on a uint16 cube in the page cache vs. the read bandwidth of the same buffer (1 thread each).")

    @Option(name: .long, help: "Scan side (positions per row and column); with --detector runs one shape only.")
    var scan: Int?

    @Option(name: .long, help: "Detector side (pixels); with --scan runs one shape only.")
    var detector: Int?

    @Option(name: .long, help: "Counts are below 2^bits (12: a counting detector; 16: full range, the kernels' slow path).")
    var bits: Int = 12

    @Option(name: .long, help: "Timed repetitions (best is kept).")
    var repeats: Int = 5

    @Flag(name: .long, help: "Anonymous memory instead of a file in the page cache.")
    var memory = false

    @Flag(name: .long, help: "Sparse kernel only (skip the OpenBLAS dense kernel).")
    var noDense = false

    @Option(name: .long, help: "Instead of speed: accuracy of mode particles or dislocations over randomised cubes (no database).")
    var quality: String?

    @Option(name: .long, help: "With --quality: number of random draws.")
    var draws: Int = 50

    @Option(name: .long, help: "With --quality: seed of the first draw (draws use seed, seed+1, …).")
    var seed: UInt64 = 1

    @Flag(name: .long, help: "With --quality: print each draw's job notes and calibration.")
    var verbose = false

    @Option(name: .customLong("param"), help: "With --quality: an extra job parameter KEY=VALUE for every draw (repeatable).")
    var params: [String] = []

    @Option(name: .customLong("probe-box"), help: "With --quality particles: each scan pixel of the cubes sees the spheres averaged over a box this wide (scan px; 1 = the pixel) instead of at its centre.")
    var probeBox: Double = 0

    @Flag(name: .long, help: "Instead of the virtual detectors: speed of the line kernels (Hessian, depth sweep) on --scan² views (default 256).")
    var lines = false

    @Flag(name: .customLong("particle-kernels"), help: "Instead of the virtual detectors: the particle fit's kernels against their plain twins (the held amplitude's radix and comparison sorts).")
    var particleKernels = false

    func validate() throws {
        if let scan { guard (8...2048).contains(scan) else { throw ValidationError("--scan must be 8…2048") } }
        if let detector { guard (8...1024).contains(detector) else { throw ValidationError("--detector must be 8…1024") } }
        guard (1...16).contains(bits) else { throw ValidationError("--bits must be 1…16") }
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100") }
        if let quality { guard ["particles", "dislocations"].contains(quality) else { throw ValidationError("--quality must be particles or dislocations") } }
        guard (1...10_000).contains(draws) else { throw ValidationError("--draws must be 1…10000") }
    }

    func run() throws {
        if let quality { return try runQuality(quality) }
        if lines { return runLines(side: scan ?? 256) }
        if particleKernels { return runParticleKernels() }
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        var shapes = [(256, 64), (64, 256)]
        if scan != nil || detector != nil { shapes = [(scan ?? 256, detector ?? 64)] }
        var load = [0.0, 0, 0]
        _ = getloadavg(&load, 3)
        print("bench stem4d: uint16 counts < 2^\(bits), \(repeats) repeat(s), one thread; "
              + "cube \(memory ? "in anonymous memory" : "in the page cache (mmap of a file)"); "
              + String(format: "load average %.2f %.2f %.2f on %d core(s)", load[0], load[1], load[2],
                       ProcessInfo.processInfo.activeProcessorCount))
        var worst = 1.0, worstCPU = 1.0
        var mismatch = false
        for (s, d) in shapes {
            print("— \(s)×\(s) scan × \(d)×\(d) detector")
            let report = try withCube(scan: s, detector: d) { cube in
                STEM4DBenchmark.run(cube: cube, scanRows: s, scanCols: s, detRows: d, detCols: d, repeats: repeats,
                                    gemm: noDense ? nil : STEM4DBLAS.gemm, log: { print($0) })
            }
            let w = bestPerCount(report), wc = bestPerCount(report, \.cpuFractionOfBandwidth)
            let wp = bestPerCount(report, \.medianPairedFraction)
            print(String(format: "worst case up to 8 detectors (best kernel per count): %.1f %% of the read bandwidth (best/best wall time; %.1f %% median paired wall time; %.1f %% by thread CPU time)", 100 * w, 100 * wp, 100 * wc))
            worst = min(worst, w)
            worstCPU = min(worstCPU, wc)
            mismatch = mismatch || report.rows.contains { !$0.matchesReference }
        }
        _ = getloadavg(&load, 3)
        print(String(format: "overall worst case: %.1f %% of the read bandwidth (wall; %.1f %% by thread CPU time); load average now %.2f %.2f %.2f",
                     100 * worst, 100 * worstCPU, load[0], load[1], load[2]))
        if mismatch {
            print("ERROR: a kernel differs from the naive reference")
            throw ExitCode(1)
        }
    }

    /// Calls `body` with a filled cube: a temporary file mapped shared (its pages are the
    /// page cache, as when a worker maps a `.npy` input), or anonymous memory.
    func withCube<R>(scan: Int, detector: Int, _ body: (UnsafeBufferPointer<UInt16>) throws -> R) throws -> R {
        let count = scan * scan * detector * detector
        let bytes = count * 2
        if memory {
            let buf = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
            defer { buf.deallocate() }
            STEM4DBenchmark.fill(buf, valueBits: bits)
            return try body(UnsafeBufferPointer(buf))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-bench-stem4d-\(getpid()).raw").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd); unlink(path) }
        guard ftruncate(fd, off_t(bytes)) == 0 else {
            throw ValidationError("cannot size \(path) to \(bytes) bytes: \(String(cString: strerror(errno)))")
        }
        guard let map = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw ValidationError("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        defer { munmap(map, bytes) }
        let buf = UnsafeMutableBufferPointer(start: map.bindMemory(to: UInt16.self, capacity: count), count: count)
        STEM4DBenchmark.fill(buf, valueBits: bits)
        return try body(UnsafeBufferPointer(buf))
    }

    /// The lowest, over detector counts, of the best kernel's fraction of bandwidth.
    func bestPerCount(_ report: STEM4DBenchmark.Report,
                      _ fraction: KeyPath<STEM4DBenchmark.Row, Double> = \.fractionOfBandwidth) -> Double {
        let counts = Set(report.rows.map(\.detectors))
        return counts.map { k in report.rows.filter { $0.detectors == k }.map { $0[keyPath: fraction] }.max() ?? 0 }.min() ?? 0
    }
}
