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
}
