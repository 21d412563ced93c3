import Foundation
import SliplineTestSupport
import XCTest

/// `ctl eval tem --detections FILE`: another program's curves and tracks, scored by the same
/// evaluator as a job's rows (no database). Real `ctl`, real files.
final class TEMEvalDetectionsTests: XCTestCase {
    func ctl(_ args: [String]) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, timeout: 120)
    }

    /// The figures `ctl eval tem` printed, by name.
    func figures(_ output: String) -> [String: Double] { evalFigures(output) }

    /// `truth.json`'s frames as (frame_index, [(id, points)]).
    func truthFrames(_ dir: String) throws -> [(Int, [(Int, [[Double]])])] {
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/truth.json"))) as? [String: Any])
        return try XCTUnwrap(doc["frames"] as? [[String: Any]]).map { f in
            let ds = (f["dislocations"] as? [[String: Any]] ?? []).map { d in
                (d["id"] as? Int ?? -1, (d["points"] as? [[Any]] ?? []).map { $0.compactMap { ($0 as? NSNumber)?.doubleValue } })
            }
            return (f["frame_index"] as? Int ?? -1, ds)
        }
    }

    /// Writes a detections file: `curve` maps (frame, truth id, points) to (track, points), nil drops it.
    func write(_ frames: [(Int, [(Int, [[Double]])])], to path: String,
               curve: (Int, Int, [[Double]]) -> (Int?, [[Double]])?) throws {
        let doc: [String: Any] = [
            "format": "slipline-tem-detections/1",
            "producer": "TEMEvalDetectionsTests",
            "frames": frames.map { f, ds -> [String: Any] in
                ["frame_index": f, "curves": ds.compactMap { id, pts -> [String: Any]? in
                    guard let (t, p) = curve(f, id, pts) else { return nil }
                    return ["track_id": t.map { $0 as Any } ?? NSNull(), "points": p]
                }]
            },
        ]
        try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: path))
    }

    func testDetectionsFileIsScoredLikeAJob() throws {
        let data = try TestFiles.temporaryDirectory("evaldet")
        let synth = try ctl(["synth", "tem", data, "--frames", "10", "--seed", "4", "--difficulty", "medium", "--threads", "2"])
        XCTAssertEqual(synth.status, 0, synth.output)
        let truth = try truthFrames(data)
        XCTAssertEqual(truth.count, 10)
        let ids = Set(truth.flatMap { $0.1.map(\.0) }).sorted()
        XCTAssertGreaterThanOrEqual(ids.count, 2, "a medium video has several dislocations")
        func eval(_ name: String, _ curve: @escaping (Int, Int, [[Double]]) -> (Int?, [[Double]])?,
                  frames: [(Int, [(Int, [[Double]])])]? = nil) throws -> [String: Double] {
            let file = data + "/" + name + ".json"
            try write(frames ?? truth, to: file, curve: curve)
            let r = try ctl(["eval", "tem", "--truth", data, "--detections", file])
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.hasPrefix("tem eval: detections \(file) against "), r.output)
            return figures(r.output)
        }

        // The truth itself, tracked by its ids: perfect on every figure.
        let perfect = try eval("perfect") { _, id, p in (id, p) }
        for k in ["precision", "recall", "F1", "length", "IDF1"] { XCTAssertEqual(perfect[k], 1.0, "\(k): \(perfect)") }

        // Shifted 4 px right and down: about half the points are beyond the 2 px tolerance
        // (the lines run diagonally, so the offset across them varies); the curves still match
        // one-to-one, so length and IDF1 need not suffer.
        let shifted = try eval("shifted") { _, id, p in (id, p.map { [$0[0] + 4, $0[1] + 4] }) }
        XCTAssertLessThan(shifted["F1"] ?? 1, 0.6, "\(shifted)")
        XCTAssertLessThan(shifted["precision"] ?? 1, 0.6, "\(shifted)")
        XCTAssertLessThan(shifted["recall"] ?? 1, 0.6, "\(shifted)")

        // A 1 px shift stays within tolerance: the centreline figures hold.
        let nudged = try eval("nudged") { _, id, p in (id, p.map { [$0[0] + 1, $0[1]] }) }
        XCTAssertGreaterThan(nudged["F1"] ?? 0, 0.99, "\(nudged)")

        // Identities of two dislocations swapped from frame 5 on: curves perfect, IDF1 lower.
        let (a, b) = (ids[0], ids[1])
        let swapped = try eval("swapped") { f, id, p in (f >= 5 && id == a ? b : f >= 5 && id == b ? a : id, p) }
        XCTAssertEqual(swapped["F1"], 1.0, "\(swapped)")
        XCTAssertLessThan(swapped["IDF1"] ?? 1, 0.99, "\(swapped)")
        XCTAssertGreaterThan(swapped["IDF1"] ?? 0, 0.5, "\(swapped)")

        // Curves in no track count for the centreline figures, not for IDF1.
        let untracked = try eval("untracked") { _, _, p in (nil, p) }
        XCTAssertEqual(untracked["F1"], 1.0, "\(untracked)")
        XCTAssertEqual(untracked["IDF1"], 0.0, "\(untracked)")

        // Frames the file does not list count as empty: recall halves, precision stays.
        let half = try eval("half", { _, id, p in (id, p) }, frames: truth.filter { $0.0 < 5 })
        XCTAssertEqual(half["precision"], 1.0, "\(half)")
        XCTAssertEqual(half["recall"] ?? 0, 0.5, accuracy: 0.05, "\(half)")
    }

    func testBadDetectionsFilesAndOptionsAreClearErrors() throws {
        let data = try TestFiles.temporaryDirectory("evaldetbad")
        let synth = try ctl(["synth", "tem", data, "--frames", "2", "--seed", "1", "--difficulty", "easy", "--threads", "1"])
        XCTAssertEqual(synth.status, 0, synth.output)
        func fails(_ args: [String], _ message: String, line: UInt = #line) throws {
            let r = try ctl(["eval", "tem", "--truth", data] + args)
            XCTAssertNotEqual(r.status, 0, r.output, line: line)
            XCTAssertTrue(r.output.contains(message), r.output, line: line)
        }
        func file(_ name: String, _ text: String) throws -> String {
            let path = data + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        try fails([], "give --job J (a tem job's rows) or --detections FILE")
        try fails(["--job", "1", "--detections", data + "/x.json"], "--job and --detections are mutually exclusive")
        try fails(["--detections", data + "/missing.json"], "cannot read detections file \(data)/missing.json: no such file")
        let notJSON = try file("a.json", "frame 0: two curves")
        try fails(["--detections", notJSON], "\(notJSON) is not a tem detections file")
        let noFormat = try file("b.json", #"{"frames": []}"#)
        try fails(["--detections", noFormat], #"missing key "format" at the top level"#)
        let wrongFormat = try file("c.json", #"{"format": "something/2", "frames": []}"#)
        try fails(["--detections", wrongFormat], #"format is "something/2", expected "slipline-tem-detections/1""#)
        let badPoint = try file("d.json", #"{"format": "slipline-tem-detections/1", "frames": [{"frame_index": 0, "curves": [{"points": [[1, 2], [3]]}]}]}"#)
        try fails(["--detections", badPoint], "frames[0].curves[0].points[1]: a point is [x, y]")
        let stringPoint = try file("e.json", #"{"format": "slipline-tem-detections/1", "frames": [{"frame_index": 0, "curves": [{"points": [[1, 2], [3, "4"]]}]}]}"#)
        try fails(["--detections", stringPoint], "at frames[0].curves[0].points[1][1]")
        let twice = try file("f.json", #"{"format": "slipline-tem-detections/1", "frames": [{"frame_index": 1, "curves": []}, {"frame_index": 1, "curves": []}]}"#)
        try fails(["--detections", twice], "frames[1]: frame_index 1 is listed twice")
        let negativeTrack = try file("g.json", #"{"format": "slipline-tem-detections/1", "frames": [{"frame_index": 0, "curves": [{"track_id": -3, "points": [[1, 2], [3, 4]]}]}]}"#)
        try fails(["--detections", negativeTrack], "frames[0].curves[0]: track_id -3 is negative")
        let onePoint = try file("h.json", #"{"format": "slipline-tem-detections/1", "frames": [{"frame_index": 0, "curves": [{"points": [[1, 2]]}]}]}"#)
        try fails(["--detections", onePoint], "a curve needs at least 2 points")
        // An empty but well-formed file scores zero, not an error.
        let empty = try file("i.json", #"{"format": "slipline-tem-detections/1", "frames": []}"#)
        let r = try ctl(["eval", "tem", "--truth", data, "--detections", empty])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(figures(r.output)["recall"], 0.0, r.output)
    }
}
