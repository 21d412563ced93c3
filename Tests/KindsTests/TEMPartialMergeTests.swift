import Foundation
@testable import Kernels
@testable import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// TEM tracking through the hierarchical merge, without a database: shards, partials that link
/// their frame ranges into tracklets, and the final merge that links tracklets over the video.
final class TEMPartialMergeTests: XCTestCase {
    /// A medium synthetic video of `frames` frames and its generator (for the truth).
    func video(frames: Int, seed: UInt64) throws -> (dir: String, synth: TEMSynthesizer) {
        let dir = try TestFiles.temporaryDirectory("tempartial")
        let params = TEMSynthParams.preset(.medium, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        for f in 0..<frames {
            try PNGWriter.writeGray8(path: String(format: "%@/f%d.png", dir, f), width: params.width, height: params.height,
                                     pixels: synth.frame8(f))
        }
        return (dir, synth)
    }

    /// The detected curves per frame (by dislocation id) and the tracks the rows describe:
    /// partial rows give each curve's tracklet, final rows each tracklet's track.
    func tracks(shardRows: [ResultRows], partialRows: [ResultRows], finalRows: [ResultRows], frames: Int) throws
        -> (curves: [[[TEMPoint]]], tracks: [TEMTrack]) {
        var curves: [[[TEMPoint]]] = Array(repeating: [], count: frames)
        for row in shardRows.rows(of: "tem_dislocation_results") {
            let f = try XCTUnwrap(row["frame_index"] as? Int), id = try XCTUnwrap(row["dislocation_id"] as? Int)
            let text = try XCTUnwrap((row["points"] as? PGJSON)?.pgText)
            while curves[f].count <= id { curves[f].append([]) }
            curves[f][id] = try TEMPointsText.parse(text)
        }
        var trackOfTracklet: [Int64: Int] = [:]
        for row in finalRows.rows(of: "tem_tracklet_results") {
            if let track = row["track_id"] as? Int64, let tracklet = row["tracklet_id"] as? Int64 { trackOfTracklet[tracklet] = Int(track) }
        }
        var byTrack: [Int: [(Int, Int)]] = [:]
        for row in partialRows.rows(of: "tem_track_point_results") {
            guard let tracklet = row["tracklet_id"] as? Int64, let track = trackOfTracklet[tracklet] else { continue }
            byTrack[track, default: []].append((try XCTUnwrap(row["frame_index"] as? Int), try XCTUnwrap(row["dislocation_id"] as? Int)))
        }
        let tracks = byTrack.keys.sorted().map { id -> TEMTrack in
            let points = byTrack[id]!.sorted { $0.0 < $1.0 }
            return TEMTrack(id: id, frames: points.map(\.0), curveIndices: points.map(\.1), centroids: [], velocities: [],
                            neighbourDistances: [])
        }
        return (curves, tracks)
    }

    func testTrackingThroughPartialsKeepsIdentities() throws {
        let frames = 16
        let (dir, synth) = try video(frames: frames, seed: 5)
        let harness = try KindHarness(TEMKind(), input: dir, params: ["frames_per_task": "2", "partial_frames": "4", "overlay_frames": "3"])
        let plan = try harness.jobPlan()
        XCTAssertEqual(plan.shards.count, 8)
        XCTAssertEqual(plan.partials.map(\.shards), [0..<2, 2..<4, 4..<6, 6..<8])
        let shardRows = try harness.run().shardRows.flatMap { $0 }
        let run = try harness.runHierarchical()
        XCTAssertEqual(run.partials.map(\.index), [0, 1, 2, 3])
        let partialRows = run.partialRows.flatMap { $0 }
        // Every detected curve is in some tracklet; the final merge reads no curve.
        XCTAssertEqual(partialRows.rows(of: "tem_track_point_results").count, shardRows.rows(of: "tem_dislocation_results").count)
        XCTAssertTrue(partialRows.rows(of: "tem_track_point_results").allSatisfy { $0["track_id"] == nil })
        let links = run.finalRows.rows(of: "tem_tracklet_results")
        let tracks = run.finalRows.rows(of: "tem_track_results")
        XCTAssertGreaterThan(links.count, tracks.count, "tracklets of different partials are joined")
        let report = run.finalRows.rows(of: "tem_report_results")
        XCTAssertEqual(report.first?["n_frames"] as? Int, frames)
        XCTAssertEqual(report.first?["n_tracks"] as? Int, tracks.count)
        let overlays = try XCTUnwrap((report.first?["overlay_files"] as? PGJSON)?.pgText)
        XCTAssertTrue(overlays.contains("tem-overlay-f000015.png"), overlays)
        XCTAssertTrue(FileManager.default.fileExists(atPath: harness.output.file("tem-tracks.svg")))

        let (curves, found) = try self.tracks(shardRows: shardRows, partialRows: partialRows, finalRows: run.finalRows, frames: frames)
        let e = TEMEvaluator.evaluate(truth: synth.truth, detected: curves, tracks: found)
        XCTAssertGreaterThan(e.f1, 0.9)
        XCTAssertGreaterThan(e.idf1, 0.85, "identities across 4 partials: \(e)")
        let trueIds = Set(synth.truth.flatMap { $0.map(\.id) }).count
        XCTAssertLessThanOrEqual(found.count, trueIds + 2, "no fragmentation at partial boundaries")
    }

    func testAKilledPartialLosesOnlyItsOwnRange() throws {
        let frames = 12
        let (dir, _) = try video(frames: frames, seed: 2)
        let harness = try KindHarness(TEMKind(), input: dir, params: ["frames_per_task": "2", "partial_frames": "4", "overlay_frames": "0",
                                                                     "min_track_frames": "2"])
        let run = try harness.runHierarchical(killPartial: 1)
        XCTAssertEqual(run.partials.count, 3)
        XCTAssertTrue(run.partialRows[1].isEmpty)
        let tracks = run.finalRows.rows(of: "tem_track_results")
        XCTAssertGreaterThan(tracks.count, 0)
        // Frames 4–7 are untracked; tracks either side are linked across the gap or not, never into it.
        for t in tracks {
            let first = try XCTUnwrap(t["first_frame"] as? Int), last = try XCTUnwrap(t["last_frame"] as? Int)
            XCTAssertFalse((4...7).contains(first) || (4...7).contains(last), "track \(t)")
        }
        XCTAssertEqual(run.finalRows.rows(of: "tem_report_results").first?["n_frames"] as? Int, 8)
    }
}
