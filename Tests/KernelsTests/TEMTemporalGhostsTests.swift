import XCTest
@testable import Kernels

/// The mean's added parts that are a gliding line's copy (`TEMTemporalGhosts`,
/// `temporalDropGhosts`) or a straight slip-trace piece with a hook (`TEMTemporalStraightParts`,
/// `temporalDropStraightParts`), read in `TEMTemporalWindow.merged`.
final class TEMTemporalGhostsTests: XCTestCase {
    private func curve(_ points: [TEMPoint]) -> TEMCurve {
        TEMCurve(points: TEMPolyline.resample(points, count: 50), lengthPx: TEMPolyline.length(points),
                 meanCurvature: 0, maxCurvature: 0, meanResponse: 1)
    }

    /// The nearest point from the rings of cells (`PointGrid.nearest`) equals a search over every
    /// point, at any distance.
    func testNearestPointsEqualsAPlainSearch() {
        var rng = SeededRandom(seed: 11)
        for (n, spread) in [(1, 10.0), (7, 50.0), (200, 400.0), (60, 2000.0)] {
            let points = (0..<n).map { _ in TEMPoint(rng.uniform(-spread / 3...spread), rng.uniform(0...spread)) }
            for cell in [0.5, 4.0, 17.0] {
                let grid = PointGrid(points, cell: cell)
                for _ in 0..<200 {
                    let q = TEMPoint(rng.uniform(-spread...2 * spread), rng.uniform(-spread...2 * spread))
                    let want = points.map { TEMPolyline.norm($0 - q) }.min()!
                    let got = grid.nearest(to: q)
                    XCTAssertNotNil(got)
                    XCTAssertEqual(got!.distance, want, accuracy: 1e-9, "n \(n) cell \(cell) query \(q)")
                    XCTAssertEqual(TEMPolyline.norm(got!.point - q), want, accuracy: 1e-9)
                }
            }
        }
        XCTAssertNil(PointGrid([], cell: 4).nearest(to: .zero))
    }

    /// A line that glides 5 px between two frames of the window: the mean's copy where it was
    /// (5 px beside the frame's curve, beyond the 3 px cover radius) is not added with the other
    /// frame's plain curves given (registered through their drifts), and is added without them. A
    /// second line beside it that the other frame shows next to the first (the first did not move)
    /// is added, and so is a line far away that the other frame shows and the frame does not.
    func testAGlidingLinesCopyIsNotAdded() {
        let plain = [curve([TEMPoint(10, 10), TEMPoint(110, 10)])]
        let copy = curve([TEMPoint(10, 15), TEMPoint(110, 15)])
        func merge(_ others: [[[TEMPoint]]]?, drifts: [TEMPoint]? = nil) -> [TEMCurve] {
            let registered = others.map { frames in
                zip(frames, drifts ?? frames.map { _ in .zero }).map {
                    TEMTemporalGhosts.registered($0, drift: $1, target: TEMPoint(0, 0))
                }
            }
            return TEMTemporalWindow.merged(plain: plain, mean: [copy], radius: 3, minLength: 40, samples: 50, join: true,
                                            others: registered)
        }
        XCTAssertEqual(merge(nil).count, 2, "without the rule the copy is added")
        // The frame before shows the line 5 px over; the frame after where it is now.
        XCTAssertEqual(merge([[[TEMPoint(10, 15), TEMPoint(110, 15)]], [[TEMPoint(10, 10), TEMPoint(110, 10)]]]), plain)
        // The same, the frame before drifted 4 px down: its line at y 19 in its own pixels.
        XCTAssertEqual(merge([[[TEMPoint(10, 19), TEMPoint(110, 19)]]], drifts: [TEMPoint(0, 4)]), plain)
        XCTAssertEqual(merge([[[TEMPoint(10, 19), TEMPoint(110, 19)]]], drifts: [TEMPoint(0, 0)]).count, 2,
                       "unregistered, the other frame's line is not where the copy is")
        // The probe still counts the dropped copy as something the mean sees.
        let counted = TEMTemporalWindow.mergedParts(plain: plain, mean: [copy], radius: 3, minLength: 40, samples: 50, join: true,
                                                    others: [TEMTemporalGhosts.registered([[TEMPoint(10, 15), TEMPoint(110, 15)]],
                                                                                          drift: .zero, target: .zero)])
        XCTAssertEqual(counted.added, 0)
        XCTAssertEqual(counted.seen, 1)
        // Both lines in the other frame: the frame's line stayed, so the part is a second line.
        XCTAssertEqual(merge([[[TEMPoint(10, 10), TEMPoint(110, 10)], [TEMPoint(10, 15), TEMPoint(110, 15)]]]).count, 2)
        // A line far from the frame's curves, shown by the other frame beside the frame's line: kept.
        let far = TEMTemporalWindow.merged(plain: plain, mean: [curve([TEMPoint(10, 60), TEMPoint(110, 60)])], radius: 3,
                                           minLength: 40, samples: 50, join: true,
                                           others: [TEMTemporalGhosts.registered([[TEMPoint(10, 60), TEMPoint(110, 60)],
                                                                                 [TEMPoint(10, 10), TEMPoint(110, 10)]],
                                                                                drift: .zero, target: .zero)])
        XCTAssertEqual(far.count, 2)
    }

    /// The mean's curve follows the frame's line to its end and carries on 100 px along a
    /// straight trace with a 20 px hook: too curved as a whole for the straight-part drop, its
    /// straight stretch is most of it — not added at a 0.3 px tolerance, added without it. A bowed
    /// added part (radius 80 px) and a straight one shorter than `minLength` beside a hook are kept.
    func testAHookedTracePieceIsNotAdded() {
        let plain = [curve([TEMPoint(10, 10), TEMPoint(110, 10)])]
        let hooked = curve([TEMPoint(10, 10), TEMPoint(110, 10), TEMPoint(110, 110), TEMPoint(126, 122)])
        func merge(_ mean: TEMCurve, tolerance: Double?) -> [TEMCurve] {
            TEMTemporalWindow.merged(plain: plain, mean: [mean], radius: 3, minLength: 40, samples: 50, join: false,
                                     straightRMS: 1.5, straightTolerance: tolerance)
        }
        let added = merge(hooked, tolerance: nil)
        XCTAssertEqual(added.count, 2, "the straight-part drop alone keeps it")
        XCTAssertGreaterThan(TEMDetector.lineRMS(TEMPolyline.resample(added[1].points, spacing: 1)), 1.5)
        XCTAssertEqual(merge(hooked, tolerance: 0.3), plain)
        let arc = curve((0...24).map { i -> TEMPoint in
            let a = Double(i) / 24 * 1.5
            return TEMPoint(200 + 80 * cos(a), 60 + 80 * sin(a))
        })
        XCTAssertEqual(merge(arc, tolerance: 0.3).count, 2, "a bowed part is kept")
        // 30 px straight then 60 px along a circle: the straight stretch is not half of it.
        let bentAway = curve([TEMPoint(300, 200), TEMPoint(300, 230)] + (1...20).map { i -> TEMPoint in
            let a = Double(i) / 20 * 1.2
            return TEMPoint(250 + 50 * cos(a), 230 + 50 * sin(a))
        })
        XCTAssertEqual(merge(bentAway, tolerance: 0.3).count, 2)
    }

    /// A response map of unit Gaussian noise (seeded) with ridges of `depth` along the rows `lines`
    /// (x 5…195), 200 × 120: a frame's own ridge response as `TEMTemporalLineLeft` reads it.
    private func response(lines: [Int], depth: Float, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var r = (0..<(200 * 120)).map { _ in Float(rng.gaussian()) }
        for y in lines { for x in 5...195 { r[y * 200 + x] += depth } }
        return r
    }

    /// The frame's own response along points: a faint ridge (0.5 σ a pixel, below any per-pixel
    /// threshold) along 100 px stands out at α = 0.01 against the same points placed over the
    /// frame; the same points one row over from nothing, or on a frame without it, do not.
    func testAFaintLineStillThereAndALeftLineNot() {
        let along = (40...140).map { TEMPoint(Double($0), 60) }
        for seed in UInt64(1)...5 {
            let faint = response(lines: [60], depth: 0.5, seed: seed)
            let empty = response(lines: [], depth: 0, seed: seed)
            faint.withUnsafeBufferPointer { r in
                XCTAssertTrue(TEMTemporalLineLeft.stillThere(along, response: r, width: 200, height: 120, alpha: 0.01), "seed \(seed)")
                XCTAssertFalse(TEMTemporalLineLeft.stillThere(along.map { $0 + TEMPoint(0, 30) }, response: r, width: 200,
                                                              height: 120, alpha: 0.01), "seed \(seed)")
                let level = TEMTemporalLineLeft.level(along, response: r, width: 200, height: 120)
                XCTAssertEqual(level?.placements, 128)
            }
            empty.withUnsafeBufferPointer { r in
                XCTAssertFalse(TEMTemporalLineLeft.stillThere(along, response: r, width: 200, height: 120, alpha: 0.01), "seed \(seed)")
            }
        }
        // Off the frame: no evidence.
        response(lines: [60], depth: 5, seed: 1).withUnsafeBufferPointer { r in
            XCTAssertFalse(TEMTemporalLineLeft.stillThere([TEMPoint(-5, 60), TEMPoint(300, 60)], response: r, width: 200,
                                                          height: 120, alpha: 0.01))
        }
    }

    /// The faint-draw loss the plain curves alone make (issue 11 item 5, tem-det26): the frame
    /// shows line A (row 20) and misses line B (row 25), which the mean adds; the other frame's
    /// detector shows B and misses A, which is still there, faint, in its response. From the plain
    /// curves alone B's part reads as A's copy and is dropped; with the other frame's own response
    /// (`left`, α = 0.01) A has not left and B is added. A line that did leave (the other frame's
    /// response shows only B) is still dropped as a ghost.
    func testAPartBesideALineTheOtherFrameMissedIsAdded() {
        let plain = [curve([TEMPoint(20, 20), TEMPoint(160, 20)])]
        let partB = curve([TEMPoint(20, 25), TEMPoint(160, 25)])
        let others = [TEMTemporalGhosts.registered([[TEMPoint(20, 25), TEMPoint(160, 25)]], drift: .zero, target: .zero)]
        func merge(_ otherResponse: [Float]?) -> [TEMCurve] {
            let left: [([TEMPoint]) -> Bool]? = otherResponse.map { r in
                [{ q in !r.withUnsafeBufferPointer {
                    TEMTemporalLineLeft.stillThere(q, response: $0, width: 200, height: 120, alpha: 0.01)
                } }]
            }
            return TEMTemporalWindow.merged(plain: plain, mean: [partB], radius: 3, minLength: 40, samples: 50, join: false,
                                            others: others, left: left)
        }
        XCTAssertEqual(merge(nil), plain, "from the plain curves alone B is taken for A's copy")
        XCTAssertEqual(merge(response(lines: [20, 25], depth: 0.5, seed: 3)).count, 2, "A is still there, faint: B is added")
        XCTAssertEqual(merge(response(lines: [25], depth: 0.5, seed: 3)), plain, "A left: B's part is its copy")
    }
}
