import XCTest
@testable import Kernels

/// The registration's same-output kernels against their plain twins (issue 11 item 5): the
/// binning eight bins at a time (`DriftBinning.mean` against `meanReference`) and the robust
/// scale's median by the values' bits (`RadixSelection` against Hoare's `Selection.select`).
final class TEMRegistrationTwinsTests: XCTestCase {
    /// Every bin the plain loop's bit for bit: bins of 1–5 and 8 px (the vector paths for 2 and
    /// 4, the lane gather for the others), column counts that are not a multiple of eight, an
    /// offset block inside a wider frame, values of mixed magnitude (rounding differs with order).
    func testBinningIsThePlainLoopBitForBit() {
        var rng = SeededRandom(seed: 5)
        for bin in [1, 2, 3, 4, 5, 8] {
            for columns in [1, 7, 8, 9, 17, 64] {
                let rows = 3, x0 = 3, y0 = 2
                let width = x0 + columns * bin + 5, height = y0 + rows * bin + 1
                let frame = (0..<(width * height)).map { _ in Float(rng.uniform(-1...1) * pow(10, rng.uniform(-3...3))) }
                var fast = [Float](repeating: .nan, count: columns * rows), plain = fast
                let scale = 1 / Float(bin * bin)
                frame.withUnsafeBufferPointer { f in
                    fast.withUnsafeMutableBufferPointer {
                        DriftBinning.mean(f.baseAddress!, width: width, x0: x0, y0: y0, bin: bin, columns: columns, rows: rows, scale: scale, into: $0.baseAddress!)
                    }
                    plain.withUnsafeMutableBufferPointer {
                        DriftBinning.meanReference(f.baseAddress!, width: width, x0: x0, y0: y0, bin: bin, columns: columns, rows: rows, scale: scale, into: $0.baseAddress!)
                    }
                }
                XCTAssertEqual(fast.map(\.bitPattern), plain.map(\.bitPattern), "bin \(bin), \(columns) columns")
            }
        }
    }

    /// The k-th smallest by bits is Hoare's: every rank of small arrays, ties, zeros, subnormals,
    /// infinities, values sharing their top 12 or 24 bits; and arrays with a negative value, −0
    /// or a NaN (bit order is not value order there) still answer as the twin.
    func testRadixSelectionIsHoaresSelection() {
        var rng = SeededRandom(seed: 9)
        func check(_ values: [Float], _ label: String) {
            for k in Set([0, values.count / 2, values.count - 1, Int(rng.uniform(0...Double(values.count - 1)))]) {
                var a = values, b = values
                let fast = a.withUnsafeMutableBufferPointer { RadixSelection.select($0.baseAddress!, count: $0.count, k) }
                let plain = Selection.select(&b, k)
                XCTAssertEqual(fast.bitPattern, plain.bitPattern, "\(label), k \(k)")
            }
        }
        for n in 1...40 {
            check((0..<n).map { _ in Float(abs(rng.gaussian())) }, "gaussian \(n)")
            check((0..<n).map { _ in Float(Int(rng.uniform(0...3))) }, "ties \(n)")
        }
        check((0..<5000).map { _ in Float(abs(rng.gaussian()) * 0.01) }, "4,000-like")
        check((0..<3000).map { _ in Float(1 + Double(Int(rng.uniform(0...255))) * 0x1p-23) }, "one top-24-bit bucket")
        check([0, 0, .leastNonzeroMagnitude, .leastNormalMagnitude, .infinity, 1, .greatestFiniteMagnitude, .infinity, 0], "extremes")
        check([3, -1, 2, 0.5], "a negative value")
        check([3, -0.0, 0, 2], "−0")
        check([3, .nan, 1, 2], "a NaN")
    }

    /// `robustScale` (the median by bits) is `robustScaleReference` (Hoare's) bit for bit on
    /// residual grids with masked bins, at the fit's sizes (strides 1 and 3).
    func testRobustScaleIsTheReferenceBitForBit() {
        var rng = SeededRandom(seed: 21)
        for count in [1, 2, 56 * 56, 120 * 120, 125 * 125] {
            let sigma = rng.uniform(0.001...1)
            let values = (0..<count).map { _ -> Float in
                rng.uniform(0...1) < 0.1 ? TEMDriftRefinement.maskedResidual : Float(rng.gaussian() * sigma)
            }
            XCTAssertEqual(TEMDriftRefinement.robustScale(values).bitPattern, TEMDriftRefinement.robustScaleReference(values).bitPattern, "\(count)")
        }
        XCTAssertEqual(TEMDriftRefinement.robustScale([]), 0)
        XCTAssertEqual(TEMDriftRefinement.robustScale([TEMDriftRefinement.maskedResidual]), 0)
    }

    /// The estimator's cross-power and peak loops (eight frequencies at a time) are their plain
    /// twins bit for bit: odd counts (the scalar tail), ties for the peak (the first wins), NaNs
    /// (never the peak), a NaN or the largest value first.
    func testEstimatorLoopsAreThePlainLoopsBitForBit() {
        var rng = SeededRandom(seed: 31)
        for count in [1, 7, 8, 9, 100, 128 * 128] {
            func plane() -> [Float] { (0..<count).map { _ in Float(rng.gaussian() * pow(10, rng.uniform(-2...2))) } }
            let re0 = plane(), im0 = plane(), cr = plane(), ci = plane(), band = plane()
            var gains = [plane().map { 1 + abs($0) }, [Float](repeating: 1, count: count)]
            gains[1][count / 2] = .nan
            for (g, gain) in gains.enumerated() {
                for bigFirst in [false, true] {
                    var a = (re0, im0), b = (re0, im0)
                    if bigFirst { a.0[0] = 1e30; b.0[0] = 1e30 }
                    if g == 1 { a.0[count - 1] = a.0[count / 2]; b.0[count - 1] = b.0[count / 2] }  // a tie (or the NaN again)
                    func run(_ v: inout ([Float], [Float]), reference: Bool) -> Int {
                        v.0.withUnsafeMutableBufferPointer { r in v.1.withUnsafeMutableBufferPointer { m in
                            cr.withUnsafeBufferPointer { c in ci.withUnsafeBufferPointer { d in band.withUnsafeBufferPointer { s in gain.withUnsafeBufferPointer { gp in
                                if reference {
                                    TEMDriftEstimator.crossPowerReference(re: r.baseAddress!, im: m.baseAddress!, refRe: c.baseAddress!, refIm: d.baseAddress!, bandPass: s.baseAddress!, count: count)
                                    return TEMDriftEstimator.peakReference(r.baseAddress!, gain: gp.baseAddress!, count: count)
                                }
                                TEMDriftEstimator.crossPower(re: r.baseAddress!, im: m.baseAddress!, refRe: c.baseAddress!, refIm: d.baseAddress!, bandPass: s.baseAddress!, count: count)
                                return TEMDriftEstimator.peak(r.baseAddress!, gain: gp.baseAddress!, count: count)
                            } } } }
                        } }
                    }
                    let fast = run(&a, reference: false), plain = run(&b, reference: true)
                    XCTAssertEqual(fast, plain, "peak, count \(count), gain \(g), big first \(bigFirst)")
                    XCTAssertEqual(a.0.map(\.bitPattern), b.0.map(\.bitPattern), "re, count \(count)")
                    XCTAssertEqual(a.1.map(\.bitPattern), b.1.map(\.bitPattern), "im, count \(count)")
                }
            }
        }
    }
}
