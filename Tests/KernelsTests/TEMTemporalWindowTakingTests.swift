import XCTest
@testable import Kernels

/// `TEMTemporalWindow.push(taking:)` (issue 11 item 5): the window keeps the caller's frame array
/// instead of copying it and hands back the array of a frame it no longer reads — the same
/// outputs as `push` on a registered video, and, once the window is full, the arrays come back.
final class TEMTemporalWindowTakingTests: XCTestCase {
    func testTakingGivesPushsOutputsAndHandsTheArraysBack() {
        let frames = 10
        let params = TEMSynthParams.randomized(.medium, seed: 21, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height
        var config = TEMDetectorConfig.jobDefault
        config.temporalMeanFrames = 3
        var detector = TEMDetector(config: config)
        var copying = TEMTemporalWindow(config: config), taking = TEMTemporalWindow(config: config)
        var outCopying: [(Int, [TEMCurve])] = [], outTaking: [(Int, [TEMCurve])] = []
        // The shard's loop: one array, decoded into, given to the window, handed back.
        var pixels: [Float] = []
        var given: [UnsafeMutableRawPointer] = [], handedBack: [UnsafeMutableRawPointer?] = []
        for v in registeredVideo(synth, frames: frames, detector: &detector) {
            if pixels.count != v.pixels.count { pixels = [Float](repeating: 0, count: v.pixels.count) }
            pixels.withUnsafeMutableBufferPointer { p in v.pixels.withUnsafeBufferPointer { _ = p.update(fromContentsOf: $0) } }
            for o in pixels.withUnsafeBufferPointer({ copying.push($0, width: w, height: h, drift: v.drift, curves: v.curves) }) {
                outCopying.append((o.index, o.curves))
            }
            given.append(pixels.withUnsafeMutableBytes { $0.baseAddress! })
            for o in taking.push(taking: &pixels, width: w, height: h, drift: v.drift, curves: v.curves) {
                outTaking.append((o.index, o.curves))
            }
            handedBack.append(pixels.isEmpty ? nil : pixels.withUnsafeMutableBytes { $0.baseAddress! })
        }
        for o in copying.finish() { outCopying.append((o.index, o.curves)) }
        for o in taking.finish() { outTaking.append((o.index, o.curves)) }
        XCTAssertEqual(outTaking.map(\.0), Array(0..<frames))
        XCTAssertEqual(outTaking.map(\.0), outCopying.map(\.0))
        for (a, b) in zip(outTaking, outCopying) { XCTAssertEqual(a.1, b.1, "frame \(a.0)") }
        XCTAssertGreaterThan(outTaking.map(\.1.count).reduce(0, +), frames, "curves to compare")
        // The window keeps what it is given: nothing comes back until frame 0 leaves it (when
        // frame 3 arrives); from the fifth frame on, the array handed back is an earlier frame's,
        // never the one just given (a window that copied would hand that one back every time).
        XCTAssertEqual(handedBack.prefix(4).compactMap { $0 }.count, 0, "\(handedBack)")
        for f in 4..<frames {
            guard let back = handedBack[f] else { XCTFail("frame \(f): nothing handed back"); continue }
            XCTAssertNotEqual(back, given[f], "frame \(f): its own array handed back")
            XCTAssertTrue(given.prefix(f).contains(back), "frame \(f): not an earlier frame's array")
        }
    }
}
