import Foundation
import Shared

/// Exports of tem jobs: frames, dislocations (with track ids), tracks, velocities and pair
/// distances as one JSON document, or one CSV row per detected dislocation.
struct TEMExporter: JobExporter {
    var formats: [ExportFormat] { [.json, .csv] }

    func export(_ conn: PGConnection, job: JobRecord, format: ExportFormat) throws -> String {
        switch format {
        case .json:
            let r = try conn.exec(
                """
                SELECT (jsonb_build_object(
                    'job_id', $1::bigint, 'kind', 'tem', 'input', j.input, 'state', j.state,
                    'coordinates', '[x, y] px: x the column, y the row, origin at the centre of the top-left pixel',
                    'report', (SELECT to_jsonb(r) - 'task_id' FROM tem_report_results r WHERE r.job_id = $1 LIMIT 1),
                    'frames', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.frame_index), '[]') FROM tem_frames f WHERE f.job_id = $1),
                    'dislocations', (SELECT coalesce(jsonb_agg(to_jsonb(d) ORDER BY d.frame_index, d.dislocation_id), '[]') FROM tem_dislocations d WHERE d.job_id = $1),
                    'tracks', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.track_id), '[]') FROM tem_tracks t WHERE t.job_id = $1),
                    'velocities', (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.track_id, v.frame_index), '[]') FROM tem_velocities v WHERE v.job_id = $1),
                    'pair_distances', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.frame_index, p.track_id), '[]') FROM tem_pair_distances p WHERE p.job_id = $1)))::text
                FROM jobs j WHERE j.id = $1
                """, [job.id])
            return (r.string(0, 0) ?? "{}") + "\n"
        case .csv:
            let r = try conn.exec(
                """
                SELECT d.job_id, d.frame_index, d.frame_file, d.dislocation_id, d.track_id, d.length_px, d.length_nm,
                       d.mean_curvature, d.max_curvature, d.centroid_x, d.centroid_y, v.vx, v.vy,
                       p.neighbour_track_id, p.distance_px AS pair_distance_px, p.distance_nm AS pair_distance_nm, d.points
                FROM tem_dislocations d
                LEFT JOIN tem_velocities v ON v.job_id = d.job_id AND v.frame_index = d.frame_index AND v.dislocation_id = d.dislocation_id
                LEFT JOIN tem_pair_distances p ON p.job_id = d.job_id AND p.frame_index = d.frame_index AND p.dislocation_id = d.dislocation_id
                WHERE d.job_id = $1 ORDER BY d.frame_index, d.dislocation_id
                """, [job.id])
            return CSV.render(r)
        case .vtk:
            throw UserError("tem jobs export as json or csv")
        }
    }
}
