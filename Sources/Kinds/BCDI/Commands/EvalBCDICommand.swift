import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl eval bcdi --truth OUTDIR --job J`: line recall and precision (points within the
/// tolerance of a line of the other set) and mean distance, from the rows of `bcdi_lines`.
struct EvalBCDICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcdi",
        abstract: "Recall, precision and mean distance of a bcdi job's lines against `ctl synth bcdi` truth.")

    @OptionGroup var target: EvalTarget

    @Option(name: .long, help: "Distance within which a point counts as found, voxels.")
    var tolerance: Double = 1.5

    struct Truth: Decodable {
        struct Volume: Decodable {
            let volume_index: Int
            let file: String
            let lines: [[[Double]]]
        }
        let volumes: [Volume]
    }

    func run() throws {
        let (expected, conn, record) = try target.load(Truth.self, kind: "bcdi")
        let job = record.id
        let r = try conn.exec("SELECT volume_index, points::text, closed FROM bcdi_lines WHERE job_id = $1 ORDER BY volume_index, line_id", [job])
        var detected: [Int: [BCDILine]] = [:]
        for row in 0..<r.rowCount {
            let points = try JSONDecoder().decode([[Double]].self, from: Data((r.string(row, 1) ?? "[]").utf8))
            let line = BCDILine(points: points.map { SIMD3($0[0], $0[1], $0[2]) }, closed: r.bool(row, 2) ?? false)
            detected[r.int(row, 0) ?? -1, default: []].append(line)
        }
        let analysed = Set(try conn.exec("SELECT volume_index FROM bcdi_volumes WHERE job_id = $1", [job]).allRows().compactMap { $0[0].flatMap { Int($0) } })
        var tp = 0, dp = 0, recalled = 0.0, precise = 0.0, distance = 0.0
        var perVolume: [String] = []
        for volume in expected.volumes.sorted(by: { $0.volume_index < $1.volume_index }) {
            guard analysed.contains(volume.volume_index) else {
                perVolume.append("  volume \(volume.volume_index) (\(volume.file)): not analysed by job \(job)")
                continue
            }
            let lines = detected[volume.volume_index] ?? []
            let score = BCDIEvaluation.score(
                truth: volume.lines.map { $0.map { SIMD3($0[0], $0[1], $0[2]) } }, detected: lines, tolerance: tolerance)
            tp += score.truthPoints
            dp += score.detectedPoints
            recalled += score.recall * Double(score.truthPoints)
            precise += score.precision * Double(score.detectedPoints)
            distance += score.meanDistance * Double(score.truthPoints + score.detectedPoints)
            perVolume.append("  volume \(volume.volume_index) (\(volume.file)): "
                + String(format: "recall %.3f, precision %.3f, mean distance %.2f vox, ", score.recall, score.precision, score.meanDistance)
                + "\(volume.lines.count) true line piece(s), \(lines.count) detected")
        }
        let recall = tp == 0 ? 1 : recalled / Double(tp)
        let precision = dp == 0 ? (tp == 0 ? 1 : 0) : precise / Double(dp)
        let mean = tp + dp == 0 ? 0 : distance / Double(tp + dp)
        print("bcdi eval: job \(job) against \(target.truthFile), \(expected.volumes.count) volume(s), tolerance \(tolerance) vox")
        perVolume.forEach { print($0) }
        print(String(format: "recall %.3f", recall))
        print(String(format: "precision %.3f", precision))
        print(String(format: "mean distance %.3f vox", mean))
    }
}
