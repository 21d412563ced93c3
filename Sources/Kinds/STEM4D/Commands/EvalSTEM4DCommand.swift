import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl eval stem4d --truth OUTDIR --job J`: particle recall/precision and median depth error
/// (particles), or coverage and median depth error of the 3D lines (dislocations).
struct EvalSTEM4DCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stem4d",
        abstract: "Particle recall and depth error (or 3D line coverage and depth error) of a stem4d job against `ctl synth stem4d` truth.")

    @OptionGroup var target: EvalTarget

    @Option(name: .long, help: "Lateral distance within which a particle or line point counts as found, scan px.")
    var lateralTolerance: Double = 2

    @Option(name: .long, help: "Depth difference within which a particle counts as found, scan px.")
    var depthTolerance: Double = 6

    func run() throws {
        let (document, conn, record) = try target.load(SynthSTEM4DCommand.Truth.self, kind: "stem4d")
        let job = record.id
        print("stem4d eval: job \(job) (\(record.state.rawValue)) against \(target.truthFile) (\(document.mode), \(document.shape.map(String.init).joined(separator: "×")))")
        if let s = try conn.exec("SELECT stereo_angle_deg, bf_cx, bf_cy, bf_radius FROM stem4d_summary WHERE job_id = $1", [job]).allRows().first {
            let bf = document.truth.brightField
            print("  stereo angle \(s[0] ?? "–")°; bright-field disk found at (\(s[1] ?? "–"), \(s[2] ?? "–")) r \(s[3] ?? "–"), true (\(bf.cx), \(bf.cy)) r \(bf.radius)")
        }
        if document.mode == "particles" {
            let r = try conn.exec("SELECT x, y, z, radius FROM stem4d_particles WHERE job_id = $1 ORDER BY particle_id", [job])
            let found: [STEM4DParticle3D] = try (0..<r.rowCount).map { row in
                let object: [String: Double] = [
                    "x": r.double(row, 0) ?? 0, "y": r.double(row, 1) ?? 0, "z": r.double(row, 2) ?? 0,
                    "radius": r.double(row, 3) ?? 0, "views": 2, "residual": 0,
                ]
                return try JSONDecoder().decode(STEM4DParticle3D.self, from: JSONSerialization.data(withJSONObject: object))
            }
            let score = STEM4DParticleEvaluation.score(truth: document.truth.spheres, found: found,
                                                       lateralTolerance: lateralTolerance, depthTolerance: depthTolerance)
            print("  \(score.truthCount) true particle(s), \(score.foundCount) found, \(score.matched) matched")
            print(String(format: "recall %.4f", score.recall))
            print(String(format: "precision %.4f", score.precision))
            print(String(format: "median depth error %.3f px", score.medianDepthError))
            print(String(format: "median lateral error %.3f px", score.medianLateralError))
            print(String(format: "median radius error %.3f px", score.medianRadiusError))
        } else {
            let r = try conn.exec("SELECT points::text FROM stem4d_lines3d WHERE job_id = $1 ORDER BY line_id", [job])
            let found: [STEM4DLine3D] = try (0..<r.rowCount).map { row in
                STEM4DLine3D(points: try JSONDecoder().decode([[Double]].self, from: Data((r.string(row, 0) ?? "[]").utf8)))
            }
            let score = STEM4DLineEvaluation.score(truth: document.truth.lines, found: found, lateralTolerance: lateralTolerance)
            print("  \(document.truth.lines.count) true line(s), \(found.count) found; \(score.matchedPoints) of \(score.totalPoints) points within \(lateralTolerance) px of a true line")
            print(String(format: "coverage %.4f", score.coverage))
            print(String(format: "median depth error %.3f px", score.medianDepthError))
            print(String(format: "depth scale %.3f", score.depthScale))
        }
    }
}
