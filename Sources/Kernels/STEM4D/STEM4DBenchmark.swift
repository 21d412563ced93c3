#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Virtual-detector throughput against this machine's memory read bandwidth.
///
/// Builds a `UInt16` cube in memory (larger than the last-level cache by default), measures
/// the single-core read bandwidth with a SIMD sum over a separate buffer, then times the
/// sparse kernel (and the dense one when a GEMM is given) for 1, 2, 4 and 8 circular
/// detectors, checking every result against the naive reference on a slice of frames.
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
    }

    /// Everything the benchmark measured.
    public struct Report: Sendable {
        /// Cube shape (scan rows, scan cols, det rows, det cols) and bytes.
        public var shape: (Int, Int, Int, Int)
        /// Cube size in bytes.
        public var cubeBytes: Int
        /// Single-core memory read bandwidth, GiB/s (best of the repeats).
        public var bandwidthGibPerSecond: Double
        /// Timed rows.
        public var rows: [Row]
    }

    /// Runs the benchmark and prints one line per measurement through `log`.
    /// - Parameters:
    ///   - scan: scan rows × cols; detector: det rows × cols (default 256×256×64×64 = 512 MiB).
    ///   - bandwidthBytes: size of the buffer for the bandwidth measurement (default 1 GiB).
    ///   - repeats: timed repetitions (best is kept).
    ///   - gemm: if given, the dense kernel is timed too.
    public static func run(scanRows: Int = 256, scanCols: Int = 256, detRows: Int = 64, detCols: Int = 64,
                           bandwidthBytes: Int = 1 << 30, repeats: Int = 3, checkFrames: Int = 512,
                           gemm: STEM4DGemm? = nil, log: (String) -> Void = { print($0) }) -> Report {
        let det = STEM4DDetectorShape(rows: detRows, cols: detCols)
        let frames = scanRows * scanCols
        let count = frames * det.pixels
        let cube = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
        defer { cube.deallocate() }
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            cube[i] = UInt16(truncatingIfNeeded: x >> 52)  // 0…4095
        }
        let bytes = count * 2
        let gib = Double(1 << 30)
        log("cube \(scanRows)x\(scanCols)x\(detRows)x\(detCols) uint16 = \(String(format2: Double(bytes) / gib)) GiB")
        // The machine may be shared: bandwidth is re-measured before every timed kernel run
        // and the best of all measurements is used, as is the best kernel time.
        var bw = bandwidth(bytes: bandwidthBytes, repeats: 1)
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
                var best = Double.infinity
                var result = plan.makePartial(firstFrame: 0, frameCount: 0)
                for _ in 0..<repeats {
                    bw = max(bw, bandwidth(bytes: bandwidthBytes, repeats: 1))
                    let t0 = ContinuousClock.now
                    result = plan.run(.uint16(UnsafeBufferPointer(cube)), gemm: gemm ?? .naive)
                    best = min(best, seconds(ContinuousClock.now - t0))
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
                log("  memory read bandwidth so far (1 core, SIMD sum over \(bandwidthBytes >> 20) MiB, best): \(String(format2: bw)) GiB/s")
                let row = Row(detectors: k, strategy: strategy, seconds: best, gibPerSecond: speed,
                              fractionOfBandwidth: speed / bw,
                              referenceGibPerSecond: Double(nCheck * det.pixels * 2) / refSeconds / gib,
                              matchesReference: same)
                rows.append(row)
                log("\(k) detector(s) \(strategy): \(String(format2: best)) s, \(String(format2: speed)) GiB/s = "
                    + "\(String(format2: 100 * row.fractionOfBandwidth)) % of bandwidth; naive reference "
                    + "\(String(format2: row.referenceGibPerSecond)) GiB/s; equal to reference: \(same)")
            }
        }
        log("memory read bandwidth (best of all runs): \(String(format2: bw)) GiB/s")
        for r in rows {
            log("  \(r.detectors) detector(s) \(r.strategy): \(String(format2: r.gibPerSecond)) GiB/s = "
                + "\(String(format2: 100 * r.gibPerSecond / bw)) % of the best bandwidth")
        }
        rows = rows.map { var r = $0; r.fractionOfBandwidth = r.gibPerSecond / bw; return r }
        return Report(shape: (scanRows, scanCols, detRows, detCols), cubeBytes: bytes, bandwidthGibPerSecond: bw, rows: rows)
    }

    /// Single-core read bandwidth in GiB/s: a SIMD integer sum over a `bytes` buffer.
    public static func bandwidth(bytes: Int, repeats: Int = 3) -> Double {
        let n = max(64, bytes / 8) & ~63
        let buf = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        defer { buf.deallocate() }
        for i in 0..<n { buf[i] = UInt64(i) }
        var best = Double.infinity
        var sink: UInt64 = 0
        for _ in 0..<max(1, repeats) {
            let t0 = ContinuousClock.now
            let raw = UnsafeRawPointer(buf)
            var a0 = SIMD8<UInt64>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
            var i = 0
            while i < n {
                a0 &+= raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<UInt64>.self)
                a1 &+= raw.loadUnaligned(fromByteOffset: i * 8 + 64, as: SIMD8<UInt64>.self)
                a2 &+= raw.loadUnaligned(fromByteOffset: i * 8 + 128, as: SIMD8<UInt64>.self)
                a3 &+= raw.loadUnaligned(fromByteOffset: i * 8 + 192, as: SIMD8<UInt64>.self)
                i += 32
            }
            sink &+= (a0 &+ a1 &+ a2 &+ a3).wrappedSum()
            best = min(best, seconds(ContinuousClock.now - t0))
        }
        if sink == 42 { print("") }  // keep the sum alive
        return Double(n * 8) / best / Double(1 << 30)
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
