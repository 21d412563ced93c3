import XCTest
@testable import Kernels

/// One line, one track (`TEMPieceAbsorption`): a faint line cut in two with hooked ends (pieces
/// the per-frame grouping leaves apart, as `video5` cuts a faint line) keeps one identity, and the
/// end of a duplicate track on such a line is not gap-closed onto the next line of the pile-up.
final class TEMPieceAbsorptionTests: XCTestCase {
    /// A line of a pile-up across x = 100…220 at height `y`, bowed by 3 px, 40 points.
    func line(_ y: Double) -> [TEMPoint] {
        (0..<40).map { i in
            let v = Double(i) / 39
            return TEMPoint(100 + 120 * v, y + 12 * v * (1 - v))
        }
    }

    /// The line at height `y` cut at x = 148 with an 8 px gap, each piece's last 6 px at the cut
    /// hooked by 50° to the same side (the grouping's 25° tangent test refuses the pair).
    func cut(_ y: Double) -> [[TEMPoint]] {
        func piece(_ x0: Double, _ x1: Double, hookAtEnd: Bool) -> [TEMPoint] {
            (0..<25).map { i in
                let x = x0 + (x1 - x0) * Double(i) / 24, v = (x - 100) / 120
                let into = hookAtEnd ? x - (x1 - 6) : (x0 + 6) - x
                return TEMPoint(x, y + 12 * v * (1 - v) + (into > 0 ? into * tan(50 * .pi / 180) : 0))
            }
        }
        return [piece(100, 144, hookAtEnd: true), piece(152, 220, hookAtEnd: false)]
    }

    /// Frames of the lines (each frame's curves with the line they belong to), the order within a
    /// frame shuffled.
    func video(frames: Int, seed: UInt64, _ lines: (Int) -> [(Int, [TEMPoint])]) -> (curves: [[[TEMPoint]]], truth: [[Int]]) {
        var rng = SeededRandom(seed: seed)
        var curves: [[[TEMPoint]]] = [], truth: [[Int]] = []
        for f in 0..<frames {
            let frame = lines(f).shuffled(using: &rng)
            curves.append(frame.map(\.1))
            truth.append(frame.map(\.0))
        }
        return (curves, truth)
    }

    /// The track ids holding each line's curves; fails unless every curve is tracked.
    func ids(_ tracks: [TEMTrack], _ truth: [[Int]], file: StaticString = #filePath, line: UInt = #line) -> [Int: Set<Int>] {
        var out: [Int: Set<Int>] = [:], seen = 0
        for t in tracks {
            for (f, c) in zip(t.frames, t.curveIndices) { out[truth[f][c], default: []].insert(t.id); seen += 1 }
        }
        XCTAssertEqual(seen, truth.reduce(0) { $0 + $1.count }, "every curve tracked", file: file, line: line)
        return out
    }

    func testTheGroupingLeavesTheHookedPiecesApart() {
        XCTAssertEqual(TEMFragmentGrouping.observations(cut(100)).curves.count, 2)
    }

    func testALineCutInTwoInSomeFramesKeepsOneIdentity() {
        // Line 0 glides 0.2 px/frame and is cut in frames 10–19 and 35–44; line 1, 30 px away,
        // is whole throughout. Pieces of 25 frames: a line cut from a piece's first frame on has
        // no track holding it yet, so both pieces start tracks there (not handled).
        let cutFrames = Set(10..<20).union(35..<45)
        var config = TEMTrackerConfig()
        config.absorbPieces = true
        for seed in 1...4 as ClosedRange<UInt64> {
            let v = video(frames: 60, seed: seed) { f in
                let y = 100 + 0.2 * Double(f)
                return (cutFrames.contains(f) ? self.cut(y).map { (0, $0) } : [(0, self.line(y))]) + [(1, self.line(y + 30))]
            }
            for tracks in [TEMTracker.track(v.curves, config: config),
                           TEMPiecewiseTracking.track(v.curves, framesPerPiece: 25, config: config)] {
                let held = ids(tracks, v.truth)
                XCTAssertEqual(held[0]?.count, 1, "seed \(seed): line 0 held by tracks \(held[0] ?? [])")
                XCTAssertEqual(held[1]?.count, 1, "seed \(seed): line 1 held by tracks \(held[1] ?? [])")
                XCTAssertTrue(held[0]!.isDisjoint(with: held[1]!), "seed \(seed): the lines share a track")
                XCTAssertEqual(tracks.count, 2, "seed \(seed)")
            }
        }
    }

    func testADuplicatesEndIsNotJoinedToTheNeighbouringLine() {
        // Line 0 is cut in frames 10–19 (without absorption its smaller piece makes a track of
        // its own, which ends at frame 19); line 2 enters at frame 36, 20 px from line 0, the same
        // shape: well within gap closing's reach of the duplicate's end.
        var absorb = TEMTrackerConfig()
        absorb.absorbPieces = true
        absorb.absorbedEndsStayEnds = true
        // (`absorbedEndsStayEnds` alone does not pass: after `maxGap` cut frames line 0's track
        // takes its own piece as reference, the duplicate's piece no longer lies within it, and
        // its end is not marked.)
        for seed in 1...4 as ClosedRange<UInt64> {
            let v = video(frames: 60, seed: seed) { f in
                let y = 100 + 0.2 * Double(f)
                return (f >= 10 && f < 20 ? self.cut(y).map { (0, $0) } : [(0, self.line(y))])
                    + [(1, self.line(y + 30))] + (f >= 36 ? [(2, self.line(y - 20))] : [])
            }
            for config in [absorb] {
                for tracks in [TEMTracker.track(v.curves, config: config),
                               TEMPiecewiseTracking.track(v.curves, framesPerPiece: 20, config: config)] {
                    let held = ids(tracks, v.truth)
                    let label = "seed \(seed), absorb \(config.absorbPieces)"
                    XCTAssertEqual(held[2]?.count, 1, label)
                    XCTAssertTrue(held[2]!.isDisjoint(with: held[0]!), "\(label): line 2 took line 0's duplicate's identity")
                    XCTAssertEqual(tracks.first { held[2]!.contains($0.id) }?.firstFrame, 36, label)
                }
            }
        }
    }

    func testALineOfTheOtherPileUpIsNotAbsorbedThroughATwoLineReference() {
        // Line 0 (x 100…220) and line 1 of another pile-up (x 230…350, on a glide plane 6 px
        // over) lie end to end. The track of line 0 has as reference a curve the detector drew
        // over both (as `video5` does ≈ 200 times in 1,000 frames of the seed-1 medium video):
        // line 1 lies within it at the same glide shift, end to end with line 0 — without the
        // length test it is absorbed, and the joined two-line curve is again the reference.
        let own = line(100), other = line(106).map { $0 + TEMPoint(130, 0) }
        let reference = own + other
        XCTAssertEqual(TEMFragmentGrouping.observations([own, other]).curves.count, 2)
        let before = TEMPieceAbsorption.holders([own, other], references: [reference], assignment: [0, nil], rank: [30],
                                                gated: { _, _ in true })
        XCTAssertEqual(before, [1: 0], "without the length test the other pile-up's line is absorbed")
        // The track's line has been 120–124 px long: two lines end to end are not one line.
        let lengths = (0..<25).map { 120 + Double($0 % 5) }
        let longest = TEMPieceAbsorption.longest(lengths, fallback: TEMPolyline.length(reference))
        XCTAssertTrue(TEMPieceAbsorption.holders([own, other], references: [reference], assignment: [0, nil], rank: [30],
                                                 longest: [longest], gated: { _, _ in true }).isEmpty)
        // The two pieces of one cut line still join under the same test.
        XCTAssertEqual(TEMPieceAbsorption.holders(cut(100), references: [line(100)], assignment: [nil, 0], rank: [30],
                                                  longest: [longest], gated: { _, _ in true }), [0: 0])
    }

    func testTheLongestOneLineFollowsTheTracksOwnLengths() {
        // Median 120 px, MAD 1 px: 120 + 2.576 · 1.4826; below 3 lengths, the fallback.
        XCTAssertEqual(TEMPieceAbsorption.longest([119, 120, 121, 122, 118], fallback: 0), 120 + 2.5758 * 1.4826, accuracy: 1e-9)
        XCTAssertEqual(TEMPieceAbsorption.longest([120, 120, 120], fallback: 0), 120 + 2.5758 * 0.5, accuracy: 1e-9)
        XCTAssertEqual(TEMPieceAbsorption.longest([300, 120], fallback: 130), 130)
    }

    func testAPieceBesideACloseNeighbourIsNotAbsorbed() {
        // A line's piece 4 px from a neighbour's whole line runs alongside it (common span): two
        // lines of a close pair, not one line in two pieces.
        let reference = line(100)
        let own = line(100), piece = Array(line(104)[5..<30])
        let holders = TEMPieceAbsorption.holders([own, piece], references: [reference], assignment: [0, nil], rank: [10],
                                                 gated: { _, _ in true })
        XCTAssertTrue(holders.isEmpty)
        // The same piece on the line itself, end to end with the track's piece, is the line's.
        let cutPieces = cut(100)
        let onLine = TEMPieceAbsorption.holders(cutPieces, references: [reference], assignment: [nil, 0], rank: [10],
                                                gated: { _, _ in true })
        XCTAssertEqual(onLine, [0: 0])
        // Shifted off the line by 4 px it is not.
        let off = [cutPieces[0].map { $0 + TEMPoint(0, 4) }, cutPieces[1]]
        XCTAssertTrue(TEMPieceAbsorption.holders(off, references: [reference], assignment: [nil, 0], rank: [10],
                                                 gated: { _, _ in true }).isEmpty)
    }
}
