import Foundation
import Shared

/// Exports of bcdi jobs: the `bcdi_volumes` and `bcdi_lines` rows as JSON or CSV, or the lines
/// as legacy-VTK polydata.
struct BCDIExporter: JobExporter {
    var formats: [ExportFormat] { [.json, .csv, .vtk] }

    func export(_ conn: PGConnection, job: JobRecord, format: ExportFormat) throws -> String {
        switch format {
        case .json:
            let r = try conn.exec(
                """
                SELECT (jsonb_build_object(
                    'job_id', $1::bigint, 'kind', 'bcdi', 'input', j.input, 'state', j.state,
                    'coordinates', '[x, y, z] voxels; x the last (fastest) array axis, z the first',
                    'volumes', (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.volume_index), '[]') FROM bcdi_volumes v WHERE v.job_id = $1),
                    'lines', (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.volume_index, l.line_id), '[]') FROM bcdi_lines l WHERE l.job_id = $1),
                    'tracks', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.track_id), '[]') FROM bcdi_tracks t WHERE t.job_id = $1)))::text
                FROM jobs j WHERE j.id = $1
                """, [job.id])
            return (r.string(0, 0) ?? "{}") + "\n"
        case .csv:
            let r = try conn.exec(
                """
                SELECT job_id, volume_index, volume_file, line_id, track_id, length_vox, length_nm, closed,
                       start_on_surface, end_on_surface, max_psi, winding_sign, displacement_vox, direction, points
                FROM bcdi_lines WHERE job_id = $1 ORDER BY volume_index, line_id
                """, [job.id])
            return CSV.render(r)
        case .vtk:
            let r = try conn.exec(
                "SELECT volume_index, line_id, coalesce(track_id, -1), closed, points::text FROM bcdi_lines WHERE job_id = $1 ORDER BY volume_index, line_id",
                [job.id])
            var vtk = VTKPolyData(title: "Slipline bcdi lines: job \(job.id), \(job.input), [x, y, z] in voxels")
            var volumes: [Int] = [], ids: [Int] = [], tracks: [Int] = []
            for row in 0..<r.rowCount {
                let points = try JSONDecoder().decode([[Double]].self, from: Data((r.string(row, 4) ?? "[]").utf8))
                vtk.lines.append(.init(points: points, closed: r.bool(row, 3) ?? false))
                volumes.append(r.int(row, 0) ?? 0)
                ids.append(r.int(row, 1) ?? 0)
                tracks.append(r.int(row, 2) ?? -1)
            }
            vtk.cellScalars = [("volume_index", volumes), ("line_id", ids), ("track_id", tracks)]
            return vtk.render()
        }
    }
}
