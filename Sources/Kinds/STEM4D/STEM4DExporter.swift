import Foundation
import Shared

/// Exports of stem4d jobs: calibration summary, virtual images, particles, g(r) and 3D lines as
/// one JSON document; CSV: one row per particle (mode=particles), per 3D line
/// (mode=dislocations) or per virtual image otherwise.
struct STEM4DExporter: JobExporter {
    var formats: [ExportFormat] { [.json, .csv] }

    func export(_ conn: PGConnection, job: JobRecord, format: ExportFormat) throws -> String {
        switch format {
        case .json:
            let r = try conn.exec(
                """
                SELECT (jsonb_build_object(
                    'job_id', $1::bigint, 'kind', 'stem4d', 'input', j.input, 'state', j.state,
                    'coordinates', '[x, y, z] scan px (z from the focal plane, positive downstream); detectors in detector px',
                    'summary', (SELECT to_jsonb(s) FROM stem4d_summary s WHERE s.job_id = $1 LIMIT 1),
                    'virtual_images', (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.name), '[]') FROM stem4d_virtual_images v WHERE v.job_id = $1),
                    'particles', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.particle_id), '[]') FROM stem4d_particles p WHERE p.job_id = $1),
                    'rdf', (SELECT coalesce(jsonb_agg(to_jsonb(g) ORDER BY g.r), '[]') FROM stem4d_rdf g WHERE g.job_id = $1),
                    'lines3d', (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.line_id), '[]') FROM stem4d_lines3d l WHERE l.job_id = $1)))::text
                FROM jobs j WHERE j.id = $1
                """, [job.id])
            return (r.string(0, 0) ?? "{}") + "\n"
        case .csv:
            let mode = try conn.exec("SELECT mode FROM stem4d_summary WHERE job_id = $1", [job.id]).allRows().first?[0] ?? "images"
            let query: String
            switch mode {
            case "particles": query = "SELECT * FROM stem4d_particles WHERE job_id = $1 ORDER BY particle_id"
            case "dislocations": query = "SELECT * FROM stem4d_lines3d WHERE job_id = $1 ORDER BY line_id"
            default: query = "SELECT * FROM stem4d_virtual_images WHERE job_id = $1 ORDER BY name"
            }
            let r = try conn.exec(query, [job.id])
            return CSV.render(r)
        case .vtk:
            throw UserError("stem4d jobs export as json or csv")
        }
    }
}
