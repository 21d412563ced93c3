import ArgumentParser
import Foundation
import Kernels
import Shared
import Worker

/// `ctl eval tem --truth OUTDIR --job J` (or `--detections FILE`): centreline precision, recall
/// and F1 at a pixel tolerance, the paper's length metric, IDF1, MOTA and HOTA, from the job's rows in
/// `tem_dislocations` or from a detections file written by another program.
struct EvalTEMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tem",
        abstract: "Precision, recall, F1, length metric, IDF1, MOTA and HOTA of a tem job (or a detections file) against `ctl synth tem` truth.",
        discussion: """
            precision/recall: the share of detected (true) centreline points, 1 px apart, within \
            --tolerance of a true (detected) centreline of the same frame. length: 1 − |L_pred − L_true| \
            / L_true per true dislocation matched one-to-one (0 when unmatched), averaged. IDF1: \
            identity F1 of the tracks against the true identities. MOTA: 1 − (misses + false tracked \
            curves + identity switches) / true curves, per frame one-to-one within 3 px. HOTA: \
            √(DetA · AssA) at that one gate. Frames the job did not analyse \
            count as frames with no detections.

            --detections FILE scores another program's output the same way instead of a job's rows \
            (no database needed). FILE is JSON: {"format": "\(TEMDetectionsFile.format)", "frames": \
            [{"frame_index": 0, "file": "frame-00000.png", "curves": [{"track_id": 0, "points": \
            [[x, y], ...]}, ...]}, ...]} with frame_index the frame's position in natural-sort order \
            from 0, points [x, y] px (x the column, y the row, origin at the centre of the top-left \
            pixel), track_id an integer ≥ 0 or null (several curves of one track in a frame, the pieces of a cut line, count as one tracked detection). Frames \
            not listed count as frames with no detections; other keys are ignored.
            """)

    @Option(name: .long, help: "The directory `ctl synth tem` wrote (its truth.json).")
    var truth: String

    @Option(name: .long, help: "The job id (or use --detections).")
    var job: Int64?

    @Option(name: .long, help: ArgumentHelp("A detections file to score instead of a job (format: see the description).", valueName: "file"))
    var detections: String?

    @OptionGroup var db: DatabaseOptions

    @Option(name: .long, help: "Distance within which a centreline point counts as found, px.")
    var tolerance: Double = 2

    struct Truth: Decodable {
        struct Frame: Decodable {
            let frame_index: Int
            let file: String
            let dislocations: [TEMTruthDislocation]
        }
        let frames: [Frame]
    }

    func validate() throws {
        guard tolerance > 0 && tolerance <= 100 else { throw ValidationError("--tolerance must be in (0, 100] px") }
        switch (job, detections) {
        case (nil, nil): throw ValidationError("give --job J (a tem job's rows) or --detections FILE")
        case (.some, .some): throw ValidationError("--job and --detections are mutually exclusive: score one at a time")
        default: break
        }
    }

    func run() throws {
        let expected = try EvalTarget.readTruth(Truth.self, directory: truth, kind: "tem")
        let n = max(expected.frames.map { $0.frame_index + 1 }.max() ?? 0, 0)
        var truthFrames = [[TEMTruthDislocation]](repeating: [], count: n)
        for frame in expected.frames where frame.frame_index >= 0 { truthFrames[frame.frame_index] = frame.dislocations }

        let rows: [TEMDetectionsFile.Row]
        let what: String
        if let path = detections {
            let file = try TEMDetectionsFile(path: path)
            rows = file.rows.filter { $0.frame < n }
            let beyond = file.rows.count - rows.count
            what = "detections \(path)" + (beyond > 0 ? " (\(beyond) curve(s) in frames beyond the truth's \(n) ignored)" : "")
                + " against \(EvalTarget.truthFile(truth)): \(n) frame(s) (\(file.frameCount) listed in the file)"
        } else {
            let conn = try db.connect()
            let record = try EvalTarget.job(job!, kind: "tem", conn: conn)
            (rows, what) = try Self.jobRows(record.id, frames: n, conn: conn, truthFile: EvalTarget.truthFile(truth))
        }

        var detected = [[[TEMPoint]]](repeating: [], count: n)
        var members: [Int64: (frames: [Int], curves: [Int])] = [:]
        // In frame order, keeping the file's (or the job's) order within a frame.
        for row in rows.enumerated().sorted(by: { ($0.element.frame, $0.offset) < ($1.element.frame, $1.offset) }).map(\.element) {
            if let t = row.track {
                members[t, default: ([], [])].frames.append(row.frame)
                members[t, default: ([], [])].curves.append(detected[row.frame].count)
            }
            detected[row.frame].append(row.points)
        }
        // TEMTrack has no public memberwise initialiser; it is Codable, so build it from JSON.
        let tracks: [TEMTrack] = try members.sorted { $0.key < $1.key }.map { id, m in
            let json = "{\"id\":\(id),\"frames\":\(m.frames),\"curveIndices\":\(m.curves),\"centroids\":[],\"velocities\":[],\"neighbourDistances\":[]}"
            return try JSONDecoder().decode(TEMTrack.self, from: Data(json.utf8))
        }
        let e = TEMEvaluator.evaluate(truth: truthFrames, detected: detected, tracks: tracks, tolerance: tolerance)
        print("tem eval: \(what), \(e.truthDetections) true and \(e.predictedDetections) detected dislocation(s), \(tracks.count) track(s), tolerance \(tolerance) px")
        print(String(format: "precision %.4f", e.precision))
        print(String(format: "recall %.4f", e.recall))
        print(String(format: "F1 %.4f", e.f1))
        print(String(format: "length %.4f", e.lengthScore))
        print(String(format: "IDF1 %.4f", e.idf1))
        let t = e.tracking
        print(String(format: "MOTA %.4f (%d misses, %d false tracked curves, %d identity switches)", t.mota, t.misses, t.falsePositives, t.idSwitches))
        print(String(format: "HOTA %.4f (DetA %.4f, AssA %.4f)", t.hota, t.detA, t.assA))
    }

    /// The job's curves of frames 0..<frames, in frame and dislocation order.
    static func jobRows(_ job: Int64, frames n: Int, conn: PGConnection, truthFile: String) throws -> ([TEMDetectionsFile.Row], String) {
        let analysed = try conn.exec("SELECT count(*) FROM tem_frames WHERE job_id = $1 AND frame_index < $2", [job, n]).int(0, 0) ?? 0
        let r = try conn.exec(
            """
            SELECT frame_index, track_id, points::text FROM tem_dislocations
            WHERE job_id = $1 AND frame_index >= 0 AND frame_index < $2 ORDER BY frame_index, dislocation_id
            """, [job, n])
        var rows: [TEMDetectionsFile.Row] = []
        rows.reserveCapacity(r.rowCount)
        for row in 0..<r.rowCount {
            guard let f = r.int(row, 0) else { continue }
            rows.append((f, r.int64(row, 1), try TEMPointsText.parse(r.string(row, 2) ?? "[]")))
        }
        return (rows, "job \(job) against \(truthFile): \(n) frame(s) (\(analysed) analysed by the job)")
    }
}
