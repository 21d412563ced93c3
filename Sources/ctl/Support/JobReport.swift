import Foundation
import Shared

/// The human summary printed when a job ends: failures, and what it produced.
enum JobReport {
    static func lines(_ conn: PGConnection, job: JobRecord) throws -> [String] {
        var out: [String] = []
        let counts = try TaskQueue.taskCounts(conn, job: job.id)
        let parts = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
        out.append("job \(job.id) (\(job.kind) \(job.input)): \(job.nTasks) tasks: \(parts.joined(separator: ", "))")
        if let started = job.startedAt, let finished = job.finishedAt {
            out.append(String(format: "  ran %.2f s", finished.timeIntervalSince(started)))
        }
        if let error = job.error { out.append("  note: \(error)") }
        for failure in try TaskQueue.failures(conn, job: job.id, limit: 20) {
            out.append("  task \(failure.taskId) (\(failure.kind)) dead after \(failure.attempts) attempts: \(failure.error)")
        }
        if job.kind == "bench" {
            let r = try conn.exec(
                "SELECT (SELECT count(*) FROM bench_results WHERE job_id = $1), (SELECT n_results FROM bench_merges WHERE job_id = $1)",
                [job.id])
            out.append("  results: \(r.int(0, 0) ?? 0) shard rows; merge saw \(r.int(0, 1).map(String.init) ?? "–")")
        }
        if job.kind == "bcdi" {
            let r = try conn.exec(
                """
                SELECT (SELECT count(*) FROM bcdi_volumes WHERE job_id = $1),
                       (SELECT count(*) FROM bcdi_lines WHERE job_id = $1),
                       (SELECT count(DISTINCT track_id) FROM bcdi_lines WHERE job_id = $1),
                       (SELECT min(psi_file) FROM bcdi_volumes WHERE job_id = $1)
                """, [job.id])
            var line = "  results: \(r.int(0, 0) ?? 0) volume(s), \(r.int(0, 1) ?? 0) line(s), \(r.int(0, 2) ?? 0) track(s)"
            if let psi = r.string(0, 3) { line += "; Ψ volumes, PNGs and VTK files in \((psi as NSString).deletingLastPathComponent)" }
            out.append(line)
            out.append("  query: ctl sql \"SELECT * FROM bcdi_lines WHERE job_id = \(job.id)\"")
        }
        if job.kind == "tem", job.nTasks > 0 {
            let r = try conn.exec(
                """
                SELECT (SELECT count(*) FROM tem_frames WHERE job_id = $1),
                       (SELECT count(*) FROM tem_dislocations WHERE job_id = $1),
                       (SELECT count(*) FROM tem_tracks WHERE job_id = $1),
                       (SELECT plot_file FROM tem_report_results WHERE job_id = $1 LIMIT 1),
                       (SELECT jsonb_array_length(overlay_files) FROM tem_report_results WHERE job_id = $1 LIMIT 1),
                       (SELECT salvaged_frames FROM tem_report_results WHERE job_id = $1 LIMIT 1)
                """, [job.id])
            var line = "  results: \(r.int(0, 0) ?? 0) frame(s), \(r.int(0, 1) ?? 0) dislocation(s), \(r.int(0, 2) ?? 0) track(s)"
            if let salvaged = r.int(0, 5), salvaged > 0 { line += " (\(salvaged) frame(s) of failed tasks analysed by the merge)" }
            out.append(line)
            if let plot = r.string(0, 3) {
                out.append("  report: \(plot) and \(r.int(0, 4) ?? 0) overlay PNG(s) in \((plot as NSString).deletingLastPathComponent)")
            }
            out.append("  query: ctl sql \"SELECT * FROM tem_dislocations WHERE job_id = \(job.id)\"")
        }
        if job.kind == "stem4d" {
            let r = try conn.exec(
                """
                SELECT (SELECT count(*) FROM stem4d_virtual_images WHERE job_id = $1),
                       (SELECT count(*) FROM stem4d_particles WHERE job_id = $1),
                       (SELECT count(*) FROM stem4d_lines3d WHERE job_id = $1),
                       s.report_file, s.bf_cx, s.bf_cy, s.bf_radius, s.stereo_angle_deg, s.strategy, s.mode
                FROM (SELECT 1) AS one LEFT JOIN stem4d_summary s ON s.job_id = $1
                """, [job.id])
            var line = "  results: \(r.int(0, 0) ?? 0) virtual image(s)"
            switch r.string(0, 9) {
            case "particles": line += ", \(r.int(0, 1) ?? 0) particle(s)"
            case "dislocations": line += ", \(r.int(0, 2) ?? 0) 3D line(s)"
            default: break
            }
            out.append(line)
            if let cx = r.double(0, 4), let cy = r.double(0, 5), let radius = r.double(0, 6) {
                var cal = String(format: "  bright-field disk: centre (%.2f, %.2f) px, radius %.2f px", cx, cy, radius)
                if let phi = r.double(0, 7) { cal += String(format: "; stereo angle %.2f°", phi) }
                if let strategy = r.string(0, 8) { cal += "; \(strategy) kernel" }
                out.append(cal)
            }
            if let report = r.string(0, 3) {
                out.append("  report: \(report); images in \((report as NSString).deletingLastPathComponent)")
            }
            out.append("  query: ctl sql \"SELECT * FROM stem4d_virtual_images WHERE job_id = \(job.id)\"")
        }
        return out
    }
}
