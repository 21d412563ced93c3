import XCTest
#if canImport(Foundation)
import Foundation
#endif
@testable import Kernels

final class TEMSynthesizerTests: XCTestCase {
    func testDeterministicGivenSeed() {
        for d in TEMDifficulty.allCases {
            let p1 = TEMSynthParams.preset(d, seed: 42, frames: 4), p2 = TEMSynthParams.preset(d, seed: 42, frames: 4)
            XCTAssertEqual(p1, p2)
            let a = TEMSynthesizer(params: p1), b = TEMSynthesizer(params: p2)
            XCTAssertEqual(a.truth, b.truth)
            XCTAssertEqual(a.frame(3), b.frame(3))
            // Frames are independent of render order.
            _ = b.frame(0)
            XCTAssertEqual(a.frame8(2), b.frame8(2))
        }
        let other = TEMSynthesizer(params: TEMSynthParams.preset(.easy, seed: 43, frames: 2))
        XCTAssertNotEqual(other.frame(0), TEMSynthesizer(params: TEMSynthParams.preset(.easy, seed: 42, frames: 2)).frame(0))
    }

    func testParamsRoundTripThroughJSON() throws {
        let p = TEMSynthParams.preset(.hard, seed: 7, frames: 10)
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(TEMSynthParams.self, from: data), p)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"lambda1\""))
    }

    func testFramesAndTruthAreValid() {
        for d in TEMDifficulty.allCases {
            let p = TEMSynthParams.preset(d, seed: 5, frames: 30)
            let s = TEMSynthesizer(params: p)
            let f = s.frame(0)
            XCTAssertEqual(f.count, p.width * p.height)
            XCTAssertTrue(f.allSatisfy { $0 >= 0 && $0 <= 1 })
            XCTAssertEqual(s.truth.count, 30)
            let ids = Set(s.truth[0].map(\.id))
            XCTAssertEqual(ids.count, s.truth[0].count, "ids unique")
            for frame in s.truth {
                XCTAssertEqual(Set(frame.map(\.id)), ids, "identities kept in every frame")
                for t in frame {
                    XCTAssertTrue(t.points.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x <= Double(p.width - 1) && $0.y <= Double(p.height - 1) })
                    XCTAssertGreaterThan(TEMPolyline.length(t.points), 20)
                }
            }
            if d == .hard {
                XCTAssertGreaterThanOrEqual(p.pileups.count, 3)
                XCTAssertTrue(p.pileups.contains { $0.dislocations.count >= 4 })
                let angles = Set(p.pileups.map { Int($0.angleDegrees.rounded()) })
                XCTAssertGreaterThanOrEqual(angles.count, 2, "two slip systems")
            }
        }
    }

    func testDislocationsGlideJerkily() {
        let p = TEMSynthParams.preset(.medium, seed: 11, frames: 80)
        let s = TEMSynthesizer(params: p)
        let id = s.truth[0][0].id
        let centroids = s.truth.map { f in TEMPolyline.centroid(f.first { $0.id == id }!.points) }
        let steps = (1..<centroids.count).map { TEMPolyline.dist(centroids[$0], centroids[$0 - 1]) }
        XCTAssertTrue(steps.contains { $0 < 1e-9 }, "pinned frames")
        XCTAssertTrue(steps.contains { $0 > 0.4 }, "depinned steps")
        XCTAssertLessThanOrEqual(steps.max() ?? 0, p.pileups[0].motion.stepMax + 1e-6)
    }
}
