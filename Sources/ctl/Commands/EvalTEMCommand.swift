import ArgumentParser
import Foundation
import Kernels
import Shared
import Worker

/// `ctl eval tem --truth OUTDIR --job J`: centreline precision, recall and F1 at a pixel
/// tolerance, the paper's length metric and IDF1, from the job's rows in `tem_dislocations`.
struct EvalTEMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tem",
        abstract: "Precision, recall, F1, length metric and IDF1 of a tem job against `ctl synth tem` truth.",
        discussion: """
            precision/recall: the share of detected (true) centreline points, 1 px apart, within \
            --tolerance of a true (detected) centreline of the same frame. length: 1 − |L_pred − L_true| \
            / L_true per true dislocation matched one-to-one (0 when unmatched), averaged. IDF1: \
            identity F1 of the tracks against the true identities. Frames the job did not analyse \
            count as frames with no detections.
            """)

    @OptionGroup var target: EvalTarget

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
    }

    func run() throws {
        let (expected, conn, record) = try target.load(Truth.self, kind: .tem)
        let job = record.id

        let n = max(expected.frames.map { $0.frame_index + 1 }.max() ?? 0, 0)
        var truthFrames = [[TEMTruthDislocation]](repeating: [], count: n)
        for frame in expected.frames where frame.frame_index >= 0 { truthFrames[frame.frame_index] = frame.dislocations }

        let analysed = try conn.exec("SELECT count(*) FROM tem_frames WHERE job_id = $1 AND frame_index < $2", [job, n]).int(0, 0) ?? 0
        let r = try conn.exec(
            """
            SELECT frame_index, track_id, points::text FROM tem_dislocations
            WHERE job_id = $1 AND frame_index >= 0 AND frame_index < $2 ORDER BY frame_index, dislocation_id
            """, [job, n])
        var detected = [[[TEMPoint]]](repeating: [], count: n)
        var members: [Int64: (frames: [Int], curves: [Int])] = [:]
        for row in 0..<r.rowCount {
            guard let f = r.int(row, 0) else { continue }
            if let t = r.int64(row, 1) {
                members[t, default: ([], [])].frames.append(f)
                members[t, default: ([], [])].curves.append(detected[f].count)
            }
            detected[f].append(try TEMPointsText.parse(r.string(row, 2) ?? "[]"))
        }
        // TEMTrack has no public memberwise initialiser; it is Codable, so build it from JSON.
        let tracks: [TEMTrack] = try members.sorted { $0.key < $1.key }.map { id, m in
            let json = "{\"id\":\(id),\"frames\":\(m.frames),\"curveIndices\":\(m.curves),\"centroids\":[],\"velocities\":[],\"neighbourDistances\":[]}"
            return try JSONDecoder().decode(TEMTrack.self, from: Data(json.utf8))
        }
        let e = TEMEvaluator.evaluate(truth: truthFrames, detected: detected, tracks: tracks, tolerance: tolerance)
        print("tem eval: job \(job) against \(target.truthFile): \(n) frame(s) (\(analysed) analysed by the job), \(e.truthDetections) true and \(e.predictedDetections) detected dislocation(s), \(tracks.count) track(s), tolerance \(tolerance) px")
        print(String(format: "precision %.4f", e.precision))
        print(String(format: "recall %.4f", e.recall))
        print(String(format: "F1 %.4f", e.f1))
        print(String(format: "length %.4f", e.lengthScore))
        print(String(format: "IDF1 %.4f", e.idf1))
    }
}
