import XCTest
@testable import Kernels

/// The mean of registered frames (`TEMTemporalMean`), its windows, and the window's merge of
/// the mean's curves into the frame's own (`TEMTemporalWindow`).
final class TEMTemporalMeanTests: XCTestCase {
    /// Plain per-pixel reference: bilinear at q + d_j − target where all four neighbours (those
    /// with weight) lie in the frame, averaged over the frames that cover q.
    private func reference(_ frames: [[Float]], drifts: [TEMPoint], target: TEMPoint, width w: Int, height h: Int) -> [Float] {
        (0..<(w * h)).map { i in
            let x = i % w, y = i / w
            var sum = 0.0, n = 0
            for (f, d) in zip(frames, drifts) {
                let sx = Double(x) + d.x - target.x, sy = Double(y) + d.y - target.y
                let x0 = Int(floor(sx)), y0 = Int(floor(sy))
                let fx = sx - floor(sx), fy = sy - floor(sy)
                var v = 0.0, inside = true
                for (dy, wy) in [(0, 1 - fy), (1, fy)] where wy > 0 {
                    for (dx, wx) in [(0, 1 - fx), (1, fx)] where wx > 0 {
                        let xx = x0 + dx, yy = y0 + dy
                        guard xx >= 0, xx < w, yy >= 0, yy < h else { inside = false; continue }
                        v += wx * wy * Double(f[yy * w + xx])
                    }
                }
                if inside { sum += v; n += 1 }
            }
            return n > 0 ? Float(sum / Double(n)) : 0
        }
    }

    func testTheMeanEqualsAPlainReferenceOnAwkwardShapes() {
        var rng = SeededRandom(seed: 7)
        let shapes = [(1, 1), (2, 3), (7, 5), (13, 11), (33, 17), (5, 29)]
        let driftSets: [[TEMPoint]] = [
            [TEMPoint(0, 0)],
            [TEMPoint(0, 0), TEMPoint(1, -2), TEMPoint(-3, 4)],
            [TEMPoint(0.25, -0.75), TEMPoint(-1.5, 2.125), TEMPoint(3.9, 0), TEMPoint(0, -0.01)],
            [TEMPoint(0, 0), TEMPoint(40, 0), TEMPoint(-2.5, -31.2)],  // beyond the frame: covers nothing
        ]
        for (w, h) in shapes {
            for drifts in driftSets {
                for target in [TEMPoint(0, 0), drifts.last!, TEMPoint(0.5, 1.25)] {
                    let frames = drifts.map { _ in (0..<(w * h)).map { _ in Float(rng.gaussian()) } }
                    var out = [Float](repeating: .nan, count: w * h), count = out
                    out.withUnsafeMutableBufferPointer { o in count.withUnsafeMutableBufferPointer { c in
                        withBuffers(frames) { TEMTemporalMean.apply(frames: $0, drifts: drifts, target: target, width: w, height: h, out: o, count: c) }
                    } }
                    let want = reference(frames, drifts: drifts, target: target, width: w, height: h)
                    for i in 0..<(w * h) {
                        XCTAssertEqual(out[i], want[i], accuracy: 1e-5, "\(w)×\(h) drifts \(drifts) target \(target) pixel \(i)")
                    }
                }
            }
        }
    }

    private func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) -> R) -> R {
        var buffers: [UnsafeBufferPointer<Float>] = []
        func nest(_ i: Int) -> R {
            guard i < arrays.count else { return body(buffers) }
            return arrays[i].withUnsafeBufferPointer { buffers.append($0); return nest(i + 1) }
        }
        return nest(0)
    }

    func testAWindowIsCentredAndShiftedInwardsAtTheEnds() {
        XCTAssertEqual(TEMTemporalMean.window(of: 0, size: 5, available: 40), 0...4)
        XCTAssertEqual(TEMTemporalMean.window(of: 1, size: 5, available: 40), 0...4)
        XCTAssertEqual(TEMTemporalMean.window(of: 2, size: 5, available: 40), 0...4)
        XCTAssertEqual(TEMTemporalMean.window(of: 3, size: 5, available: 40), 1...5)
        XCTAssertEqual(TEMTemporalMean.window(of: 39, size: 5, available: 40), 35...39)
        XCTAssertEqual(TEMTemporalMean.window(of: 10, size: 4, available: 40), 9...12)
        XCTAssertEqual(TEMTemporalMean.window(of: 1, size: 5, available: 3), 0...2, "fewer frames than the window")
    }

    /// Pushed frame by frame, every frame comes out once, in order, with its window complete:
    /// off (1 frame) its own curves at once; on, the same frames after the frames they need.
    func testTheWindowCompletesEveryFrameOnceInOrder() {
        let w = 24, h = 20
        for size in [1, 2, 3, 5] {
            for total in [1, 2, 4, 9] {
                var config = TEMDetectorConfig.video5
                config.temporalMeanFrames = size
                var window = TEMTemporalWindow(config: config)
                var order: [Int] = []
                for k in 0..<total {
                    let frame = [Float](repeating: 0.5, count: w * h)
                    let done = frame.withUnsafeBufferPointer { window.push($0, width: w, height: h, drift: TEMPoint(Double(k), 0), curves: []) }
                    if size <= 1 { XCTAssertEqual(done.map(\.index), [k]) }
                    // A frame is out once the frames after it its window reads are in.
                    for o in done { XCTAssertLessThanOrEqual(TEMTemporalMean.window(of: o.index, size: size, available: total).upperBound, k) }
                    order += done.map(\.index)
                }
                order += window.finish().map(\.index)
                XCTAssertEqual(order, Array(0..<total), "size \(size), \(total) frames")
            }
        }
    }

    private func curve(_ points: [TEMPoint]) -> TEMCurve {
        TEMCurve(points: TEMPolyline.resample(points, count: 50), lengthPx: TEMPolyline.length(points),
                 meanCurvature: 0, maxCurvature: 0, meanResponse: 1)
    }

    /// Only the parts of the mean's curves no plain curve lies on are added: one lying on a plain
    /// curve adds nothing, one beyond the radius is added whole, one extending a plain curve adds
    /// its new part, joined to that curve; a new part shorter than `minLength` is not added.
    func testTheMeanAddsOnlyWhatThePlainCurvesLack() {
        let plain = [curve([TEMPoint(10, 10), TEMPoint(110, 10)])]
        func merge(_ mean: [TEMCurve], join: Bool = true) -> [TEMCurve] {
            TEMTemporalWindow.merged(plain: plain, mean: mean, radius: 3, minLength: 40, samples: 50, join: join)
        }
        // On it, 2 px aside: nothing.
        XCTAssertEqual(merge([curve([TEMPoint(12, 12), TEMPoint(108, 12)])]), plain)
        // A line elsewhere, 6 px aside: added whole.
        let apart = merge([curve([TEMPoint(10, 16), TEMPoint(110, 16)])])
        XCTAssertEqual(apart.count, 2)
        XCTAssertEqual(apart[1].lengthPx, 100, accuracy: 1.5)
        // The plain line's continuation: its 60 px beyond the plain end added and joined to it.
        let longer = merge([curve([TEMPoint(20, 10), TEMPoint(170, 10)])])
        XCTAssertEqual(longer.count, 1)
        XCTAssertEqual(longer[0].lengthPx, 160, accuracy: 4)
        XCTAssertEqual(merge([curve([TEMPoint(20, 10), TEMPoint(170, 10)])], join: false).count, 2, "without joins, a piece of its own")
        // A continuation 30 px long: too short to add.
        XCTAssertEqual(merge([curve([TEMPoint(60, 10), TEMPoint(143, 10)])]), plain)
        // Two plain curves that continue each other are not joined here (their detector decided).
        let pieces = [curve([TEMPoint(10, 40), TEMPoint(60, 40)]), curve([TEMPoint(66, 40), TEMPoint(120, 40)])]
        XCTAssertEqual(TEMTemporalWindow.merged(plain: pieces, mean: [curve([TEMPoint(10, 80), TEMPoint(110, 80)])],
                                                radius: 3, minLength: 40, samples: 50, join: true).count, 3)
    }

    /// `temporalProbeInterval` P: once a mean adds nothing it is read only on every P-th frame,
    /// and on every frame while it adds. Flat frames: the mean adds nothing, so of 12 frames it is
    /// read on 0, 4 and 8 (P 4), on all 12 without probes, and the frames' curves are their own.
    /// A bowed dark line pushed with no plain curves: the mean adds it on every frame, so it is read
    /// on every frame with probes too.
    func testTheMeanIsProbedWhileItAddsNothing() {
        let w = 96, h = 96, frames = 12
        var rng = SeededRandom(seed: 11)
        func run(probe: Int, line: Bool) -> (read: Int, adding: Int, curves: [Int]) {
            var config = TEMDetectorConfig.video5
            config.temporalMeanFrames = 3
            config.temporalProbeInterval = probe
            var window = TEMTemporalWindow(config: config)
            var curves = [Int](repeating: -1, count: frames)
            for k in 0..<frames {
                var frame = [Float](repeating: 0.5, count: w * h)
                if line {
                    for i in frame.indices {
                        let y = i / w, x = i % w
                        let d = Double(y) - 30 - 0.01 * Double((x - 48) * (x - 48))  // a bowed line: no slip-trace rule
                        frame[i] += Float(0.05 * rng.gaussian() - 0.4 * exp(-d * d / 4))
                    }
                }
                let done = frame.withUnsafeBufferPointer { window.push($0, width: w, height: h, drift: .zero, curves: []) }
                for o in done { curves[o.index] = o.curves.count }
            }
            for o in window.finish() { curves[o.index] = o.curves.count }
            return (window.meansRead, window.meansAdding, curves)
        }
        let flat = run(probe: 4, line: false)
        XCTAssertEqual(flat.read, 3, "read on frames 0, 4 and 8")
        XCTAssertEqual(flat.adding, 0)
        XCTAssertEqual(flat.curves, [Int](repeating: 0, count: frames))
        XCTAssertEqual(run(probe: 0, line: false).read, frames, "without probes: every frame")
        let adding = run(probe: 4, line: true)
        XCTAssertEqual(adding.read, frames, "a mean that keeps adding is read on every frame")
        XCTAssertEqual(adding.adding, frames)
        XCTAssertTrue(adding.curves.allSatisfy { $0 >= 1 }, "\(adding.curves)")
    }
}
