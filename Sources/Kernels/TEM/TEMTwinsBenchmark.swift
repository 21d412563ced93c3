/// `ctl bench tem`'s lines for the kernels replaced by faster ones with the same output
/// (issue 11 item 5, twenty-third session): each kernel against its plain twin kept beside it,
/// timed on one thread, and whether every result is the twin's bit for bit.
public enum TEMTwinsBenchmark {
    /// `TEMPolyline.meanClosestDistance` (the tracker's matching cost, both directions of a pair)
    /// against `meanClosestDistanceReference` on `pairs` pairs of 50-point curves (the detector's
    /// stored curves) about a pile-up's spacing apart: CPU µs per pair each, and the number of
    /// pairs whose distances differ in any bit.
    public static func closestDistance(pairs: Int = 2000, seed: UInt64 = 1) -> (fastMicros: Double, plainMicros: Double, differing: Int) {
        var rng = SeededRandom(seed: seed)
        let curves: [([TEMPoint], [TEMPoint])] = (0..<64).map { _ in
            let x = rng.uniform(50...450), y = rng.uniform(50...450), tilt = rng.uniform(-0.5...0.5)
            let bend = rng.uniform(-20...20), gap = rng.uniform(-12...12)
            func curve(_ dx: Double) -> [TEMPoint] {
                TEMPolyline.resample((0...8).map { k -> TEMPoint in
                    let s = Double(k) / 8
                    return TEMPoint(x + dx + tilt * 120 * s + bend * s * (1 - s), y + 120 * s)
                }, count: 50)
            }
            return (curve(0), curve(gap))
        }
        func run(_ f: ([TEMPoint], [TEMPoint]) -> Double) -> (Double, [UInt64]) {
            var out: [UInt64] = []
            out.reserveCapacity(2 * pairs)
            let start = TEMBenchmark.threadCPUSeconds()
            for i in 0..<pairs {
                let (a, b) = curves[i % curves.count]
                out.append(f(a, b).bitPattern)
                out.append(f(b, a).bitPattern)
            }
            return (1e6 * (TEMBenchmark.threadCPUSeconds() - start) / Double(max(1, pairs)), out)
        }
        let fast = run { TEMPolyline.meanClosestDistance(from: $0, to: $1) }
        let plain = run { TEMPolyline.meanClosestDistanceReference(from: $0, to: $1) }
        var differing = 0
        for i in 0..<pairs where fast.1[2 * i] != plain.1[2 * i] || fast.1[2 * i + 1] != plain.1[2 * i + 1] { differing += 1 }
        return (fast.0, plain.0, differing)
    }

    /// `FFT2D.transform` (the rows' pass on the transposed planes) against `transformReference`
    /// (rows one at a time) at the drift estimator's size, a forward and an inverse transform per
    /// run: CPU µs per run each, and whether the planes are the same bit for bit.
    public static func fft(n: Int = 128, runs: Int = 400) -> (fastMicros: Double, plainMicros: Double, identical: Bool) {
        var rng = SeededRandom(seed: 7)
        let re0 = (0..<(n * n)).map { _ in Float(rng.gaussian()) }, im0 = (0..<(n * n)).map { _ in Float(rng.gaussian()) }
        let fft = FFT2D(n: n)
        func run(reference: Bool) -> (Double, [Float], [Float]) {
            var re = re0, im = im0
            let start = TEMBenchmark.threadCPUSeconds()
            re.withUnsafeMutableBufferPointer { r in im.withUnsafeMutableBufferPointer { i in
                for _ in 0..<runs {
                    for inverse in [false, true] {
                        if reference {
                            fft.transformReference(re: r.baseAddress!, im: i.baseAddress!, inverse: inverse)
                        } else {
                            fft.transform(re: r.baseAddress!, im: i.baseAddress!, inverse: inverse)
                        }
                    }
                }
            } }
            return (1e6 * (TEMBenchmark.threadCPUSeconds() - start) / Double(max(1, runs)), re, im)
        }
        let fast = run(reference: false), plain = run(reference: true)
        return (fast.0, plain.0, fast.1.map(\.bitPattern) == plain.1.map(\.bitPattern) && fast.2.map(\.bitPattern) == plain.2.map(\.bitPattern))
    }

    /// The registration's binning (`DriftBinning.mean`, eight bins at a time) against the plain
    /// loop (`meanReference`) on a 512² frame: the refinement grid's 4×4 bins (128²) and the
    /// estimator's 2×2 bins over the central 256 px (128²), once each per run: CPU µs per run
    /// each, and whether every bin is the same bit for bit.
    public static func binning(runs: Int = 400) -> (fastMicros: Double, plainMicros: Double, identical: Bool) {
        var rng = SeededRandom(seed: 11)
        let w = 512
        let frame = (0..<(w * w)).map { _ in Float(rng.uniform(0...1)) }
        func run(reference: Bool) -> (Double, [Float]) {
            var grid = [Float](repeating: 0, count: 128 * 128), est = grid
            let start = TEMBenchmark.threadCPUSeconds()
            frame.withUnsafeBufferPointer { f in grid.withUnsafeMutableBufferPointer { g in est.withUnsafeMutableBufferPointer { e in
                for _ in 0..<runs {
                    if reference {
                        DriftBinning.meanReference(f.baseAddress!, width: w, x0: 0, y0: 0, bin: 4, columns: 128, rows: 128, scale: 1 / 16, into: g.baseAddress!)
                        DriftBinning.meanReference(f.baseAddress!, width: w, x0: 128, y0: 128, bin: 2, columns: 128, rows: 128, scale: 1 / 4, into: e.baseAddress!)
                    } else {
                        DriftBinning.mean(f.baseAddress!, width: w, x0: 0, y0: 0, bin: 4, columns: 128, rows: 128, scale: 1 / 16, into: g.baseAddress!)
                        DriftBinning.mean(f.baseAddress!, width: w, x0: 128, y0: 128, bin: 2, columns: 128, rows: 128, scale: 1 / 4, into: e.baseAddress!)
                    }
                }
            } } }
            return (1e6 * (TEMBenchmark.threadCPUSeconds() - start) / Double(max(1, runs)), grid + est)
        }
        let fast = run(reference: false), plain = run(reference: true)
        return (fast.0, plain.0, fast.1.map(\.bitPattern) == plain.1.map(\.bitPattern))
    }

    /// The registration's robust scale (`TEMDriftRefinement.robustScale`: the median by the
    /// values' bits, `RadixSelection`) against `robustScaleReference` (Hoare's selection) on
    /// `calls` residual grids like the full-resolution fit's (120², Gaussian, a tenth masked,
    /// a few large): CPU µs per call each, and the number of calls whose scale differs in any bit.
    public static func robustScale(calls: Int = 400) -> (fastMicros: Double, plainMicros: Double, differing: Int) {
        var rng = SeededRandom(seed: 13)
        let grids: [[Float]] = (0..<16).map { _ in
            let sigma = rng.uniform(0.001...0.1)
            return (0..<(120 * 120)).map { _ in
                let u = rng.uniform(0...1)
                if u < 0.1 { return TEMDriftRefinement.maskedResidual }
                return Float(rng.gaussian() * sigma * (u > 0.97 ? 20 : 1))
            }
        }
        func run(_ f: ([Float]) -> Double) -> (Double, [UInt64]) {
            var out: [UInt64] = []
            out.reserveCapacity(calls)
            let start = TEMBenchmark.threadCPUSeconds()
            for i in 0..<calls { out.append(f(grids[i % grids.count]).bitPattern) }
            return (1e6 * (TEMBenchmark.threadCPUSeconds() - start) / Double(max(1, calls)), out)
        }
        let fast = run { TEMDriftRefinement.robustScale($0) }, plain = run { TEMDriftRefinement.robustScaleReference($0) }
        return (fast.0, plain.0, zip(fast.1, plain.1).filter { $0 != $1 }.count)
    }

    /// The drift estimator's per-frequency loops (`TEMDriftEstimator.crossPower` and `peak`,
    /// eight at a time) against their plain twins at the estimator's size (128²): CPU µs per
    /// frame each, and whether the spectra and the peak's index are the same bit for bit.
    public static func estimatorLoops(runs: Int = 400) -> (fastMicros: Double, plainMicros: Double, identical: Bool) {
        var rng = SeededRandom(seed: 17)
        let count = 128 * 128
        func plane() -> [Float] { (0..<count).map { _ in Float(rng.gaussian()) } }
        let re0 = plane(), im0 = plane(), cr = plane(), ci = plane(), band = plane().map { abs($0) }, gain = plane().map { 1 + abs($0) }
        func run(reference: Bool) -> (Double, [Float], [Int]) {
            var re = re0, im = im0, peaks: [Int] = []
            let start = TEMBenchmark.threadCPUSeconds()
            for _ in 0..<runs {
                re = re0
                im = im0
                re.withUnsafeMutableBufferPointer { r in im.withUnsafeMutableBufferPointer { m in
                    cr.withUnsafeBufferPointer { c in ci.withUnsafeBufferPointer { d in band.withUnsafeBufferPointer { b in gain.withUnsafeBufferPointer { g in
                        if reference {
                            TEMDriftEstimator.crossPowerReference(re: r.baseAddress!, im: m.baseAddress!, refRe: c.baseAddress!, refIm: d.baseAddress!, bandPass: b.baseAddress!, count: count)
                            peaks.append(TEMDriftEstimator.peakReference(r.baseAddress!, gain: g.baseAddress!, count: count))
                        } else {
                            TEMDriftEstimator.crossPower(re: r.baseAddress!, im: m.baseAddress!, refRe: c.baseAddress!, refIm: d.baseAddress!, bandPass: b.baseAddress!, count: count)
                            peaks.append(TEMDriftEstimator.peak(r.baseAddress!, gain: g.baseAddress!, count: count))
                        }
                    } } } }
                } }
            }
            return (1e6 * (TEMBenchmark.threadCPUSeconds() - start) / Double(max(1, runs)), re + im, peaks)
        }
        let fast = run(reference: false), plain = run(reference: true)
        return (fast.0, plain.0, fast.1.map(\.bitPattern) == plain.1.map(\.bitPattern) && fast.2 == plain.2)
    }
}
