#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSTEM4DSIMD

/// Virtual-detector throughput against this machine's memory read bandwidth, like with like.
///
/// The bandwidth is a single-thread SIMD sum over **the same cube buffer** the kernels read
/// (same pages, same mapping, e.g. a file in the page cache), measured right before every
/// timed kernel run; the best of each is kept, so both see the same machine state on a shared
/// host. The kernel runs on one thread too. For 1, 2, 4 and 8 circular detectors it times the
/// sparse kernel (and the dense one when a GEMM is given) and checks every result against the
/// naive reference on a slice of frames.
public enum STEM4DBenchmark {
    /// One timed configuration.
    public struct Row: Sendable {
        /// Number of detectors.
        public var detectors: Int
        /// Kernel.
        public var strategy: STEM4DStrategy
        /// Best wall time over the repeats, seconds.
        public var seconds: Double
        /// Cube bytes read per second, GiB/s.
        public var gibPerSecond: Double
        /// `gibPerSecond` over the measured bandwidth.
        public var fractionOfBandwidth: Double
        /// Reference kernel speed on the checked slice, GiB/s.
        public var referenceGibPerSecond: Double
        /// Whether the kernel agreed with the reference on the checked slice.
        public var matchesReference: Bool
        /// Cube bytes per second of thread CPU time, GiB/s, and its fraction of the bandwidth
        /// measured the same way (insensitive to the thread being descheduled on a shared host).
        public var cpuGibPerSecond: Double = 0
        public var cpuFractionOfBandwidth: Double = 0
        /// Median over the repeats of (kernel speed / bandwidth measured right before it),
        /// wall time: each ratio compares two runs a moment apart, so slow phases of a shared
        /// host cancel instead of pairing the best bandwidth with an unlucky kernel run.
        public var medianPairedFraction: Double = 0
    }

    /// Everything the benchmark measured.
    public struct Report: Sendable {
        /// Cube shape (scan rows, scan cols, det rows, det cols) and bytes.
        public var shape: (Int, Int, Int, Int)
        /// Cube size in bytes.
        public var cubeBytes: Int
        /// Single-thread read bandwidth over the cube buffer, GiB/s (best of the repeats).
        public var bandwidthGibPerSecond: Double
        /// The same over thread CPU time instead of wall time.
        public var cpuBandwidthGibPerSecond: Double = 0
        /// Timed rows.
        public var rows: [Row]
    }

    /// Fills `cube` with deterministic pseudo-random counts below 2^`valueBits`.
    public static func fill(_ cube: UnsafeMutableBufferPointer<UInt16>, valueBits: Int = 12) {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        let shift = UInt64(64 - max(1, min(16, valueBits)))
        for i in 0..<cube.count {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            cube[i] = UInt16(truncatingIfNeeded: x >> shift)
        }
    }

    /// Runs the benchmark on a freshly allocated (anonymous memory) cube; see
    /// `run(cube:scanRows:scanCols:detRows:detCols:…)`.
    public static func run(scanRows: Int = 256, scanCols: Int = 256, detRows: Int = 64, detCols: Int = 64,
                           valueBits: Int = 12, repeats: Int = 5, checkFrames: Int = 512,
                           gemm: STEM4DGemm? = nil, log: (String) -> Void = { print($0) }) -> Report {
        let cube = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: scanRows * scanCols * detRows * detCols)
        defer { cube.deallocate() }
        fill(cube, valueBits: valueBits)
        log("cube in anonymous memory, values < 2^\(valueBits)")
        return run(cube: UnsafeBufferPointer(cube), scanRows: scanRows, scanCols: scanCols, detRows: detRows, detCols: detCols,
                   repeats: repeats, checkFrames: checkFrames, gemm: gemm, log: log)
    }

    /// Runs the benchmark over `cube` (scan rows × cols × det rows × cols, `UInt16`) and prints
    /// one line per measurement through `log`.
    public static func run(cube: UnsafeBufferPointer<UInt16>, scanRows: Int, scanCols: Int, detRows: Int, detCols: Int,
                           repeats: Int = 5, checkFrames: Int = 512,
                           gemm: STEM4DGemm? = nil, log: (String) -> Void = { print($0) }) -> Report {
        let det = STEM4DDetectorShape(rows: detRows, cols: detCols)
        let frames = scanRows * scanCols
        precondition(cube.count == frames * det.pixels, "cube has \(cube.count) elements, shape needs \(frames * det.pixels)")
        let bytes = cube.count * 2
        let gib = Double(1 << 30)
        log("cube \(scanRows)x\(scanCols)x\(detRows)x\(detCols) uint16 = \(String(format2: Double(bytes) / gib)) GiB; "
            + "kernel and bandwidth both on 1 thread over this buffer; vector unit: \(STEM4DVectorUnits.description)")
        let raw = UnsafeRawBufferPointer(cube)
        var (bw, bwCPU) = bandwidthWallAndCPU(raw)
        var rows: [Row] = []
        let cx = Double(detCols - 1) / 2, cy = Double(detRows - 1) / 2
        let rDet = Double(min(detRows, detCols)) / 16
        let ring = Double(min(detRows, detCols)) / 4
        for k in [1, 2, 4, 8] {
            let detectors: [STEM4DDetectorGeometry] = (0..<k).map { i in
                let a = Double(i) * 2 * .pi / Double(k)
                return .circle(cx: cx + ring * cos(a), cy: cy + ring * sin(a), r: rDet)
            }
            var strategies: [STEM4DStrategy] = [.sparse]
            if gemm != nil { strategies.append(.dense) }
            for strategy in strategies {
                let plan = STEM4DVirtualDetectorPlan(detectors: detectors, detector: det, strategy: strategy)
                var best = Double.infinity, bestCPU = Double.infinity
                var paired: [Double] = []
                var result = plan.makePartial(firstFrame: 0, frameCount: 0)
                for _ in 0..<repeats {
                    // The machine may be shared: the bandwidth is re-measured right before
                    // every timed kernel run, and the best of each is compared.
                    let (w, c) = bandwidthWallAndCPU(raw)
                    bw = max(bw, w); bwCPU = max(bwCPU, c)
                    let c0 = threadCPUSeconds()
                    let t0 = ContinuousClock.now
                    result = plan.run(.uint16(cube), gemm: gemm ?? .naive)
                    let t = seconds(ContinuousClock.now - t0)
                    best = min(best, t)
                    bestCPU = min(bestCPU, threadCPUSeconds() - c0)
                    paired.append(Double(bytes) / t / gib / w)
                }
                let nCheck = min(checkFrames, frames)
                let slice = UnsafeBufferPointer(rebasing: cube[0..<(nCheck * det.pixels)])
                let t0 = ContinuousClock.now
                let ref = STEM4DReferenceKernel.run(.uint16(slice), masks: plan.masks, detector: det)
                let refSeconds = seconds(ContinuousClock.now - t0)
                var same = true
                for m in 0..<k {
                    for f in 0..<nCheck where result.images[m * frames + f] != ref.images[m * nCheck + f] { same = false }
                }
                let speed = Double(bytes) / best / gib
                let cpuSpeed = Double(bytes) / bestCPU / gib
                let row = Row(detectors: k, strategy: strategy, seconds: best, gibPerSecond: speed,
                              fractionOfBandwidth: speed / bw,
                              referenceGibPerSecond: Double(nCheck * det.pixels * 2) / refSeconds / gib,
                              matchesReference: same, cpuGibPerSecond: cpuSpeed, cpuFractionOfBandwidth: cpuSpeed / bwCPU,
                              medianPairedFraction: paired.sorted()[paired.count / 2])
                rows.append(row)
                log("\(k) detector(s) \(strategy): \(String(format2: best)) s, \(String(format2: speed)) GiB/s = "
                    + "\(String(format2: 100 * row.fractionOfBandwidth)) % of the bandwidth so far "
                    + "(\(String(format2: bw)) GiB/s); naive reference \(String(format2: row.referenceGibPerSecond)) GiB/s; "
                    + "equal to reference: \(same)")
            }
        }
        log("memory read bandwidth (1 thread, SIMD sum over the same cube, best of all runs): \(String(format2: bw)) GiB/s "
            + "wall time, \(String(format2: bwCPU)) GiB/s thread CPU time")
        for r in rows {
            log("  \(r.detectors) detector(s) \(r.strategy): \(String(format2: r.gibPerSecond)) GiB/s = "
                + "\(String(format2: 100 * r.gibPerSecond / bw)) % of the best bandwidth "
                + "(CPU time: \(String(format2: r.cpuGibPerSecond)) GiB/s = \(String(format2: 100 * r.cpuGibPerSecond / bwCPU)) %; "
                + "median of paired wall-time ratios \(String(format2: 100 * r.medianPairedFraction)) %)")
        }
        rows = rows.map { var r = $0; r.fractionOfBandwidth = r.gibPerSecond / bw; r.cpuFractionOfBandwidth = r.cpuGibPerSecond / bwCPU; return r }
        return Report(shape: (scanRows, scanCols, detRows, detCols), cubeBytes: bytes, bandwidthGibPerSecond: bw,
                      cpuBandwidthGibPerSecond: bwCPU, rows: rows)
    }

    /// `bandwidth(buffer)` by wall time and by thread CPU time.
    static func bandwidthWallAndCPU(_ buffer: UnsafeRawBufferPointer) -> (Double, Double) {
        let c0 = threadCPUSeconds()
        let wall = bandwidth(buffer)
        let cpu = threadCPUSeconds() - c0
        return (wall, cpu > 0 ? Double(buffer.count & ~255) / cpu / Double(1 << 30) : wall)
    }

    /// CPU time of the calling thread, seconds.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Single-thread read bandwidth in GiB/s over `buffer`: a SIMD integer sum of every byte
    /// (the tail past a multiple of 256 bytes is left out of both the sum and the byte count),
    /// with the same vector unit as the kernels (`STEM4DVectorUnits`): on an AVX2 CPU the
    /// 256-bit loop, else the baseline one, so a kernel is never measured against a reference
    /// slower than what the machine can read.
    public static func bandwidth(_ buffer: UnsafeRawBufferPointer) -> Double {
        let n = buffer.count & ~255
        guard n > 0, let raw = buffer.baseAddress else { return 0 }
        if STEM4DVectorUnits.avx2 {
            let t0 = ContinuousClock.now
            let s = slp_stem4d_read_sum_avx2(raw, n)
            let t = seconds(ContinuousClock.now - t0)
            if s == 42 { print("") }  // keep the sum alive
            return Double(n) / t / Double(1 << 30)
        }
        let t0 = ContinuousClock.now
        var a0 = SIMD8<UInt64>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i < n {
            a0 &+= raw.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt64>.self)
            a1 &+= raw.loadUnaligned(fromByteOffset: i + 64, as: SIMD8<UInt64>.self)
            a2 &+= raw.loadUnaligned(fromByteOffset: i + 128, as: SIMD8<UInt64>.self)
            a3 &+= raw.loadUnaligned(fromByteOffset: i + 192, as: SIMD8<UInt64>.self)
            i += 256
        }
        let t = seconds(ContinuousClock.now - t0)
        if (a0 &+ a1 &+ a2 &+ a3).wrappedSum() == 42 { print("") }  // keep the sum alive
        return Double(n) / t / Double(1 << 30)
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

fileprivate extension String {
    /// Two decimals without Foundation formatting.
    init(format2 v: Double) {
        let r = (v * 100).rounded() / 100
        self = "\(r)"
    }
}
