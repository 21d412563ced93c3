import Hummingbird
import Shared

/// `/api/jobs/{id}/stem4d…`: virtual images (with the stereo pair), lines or particles in 3D,
/// and g(r).
struct STEM4DAPI {
    let database: DashboardDatabase

    func register(on router: Router<DashboardContext>) {
        router.get("/api/jobs/:id/stem4d") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let json = try await JSONResponse.query(database, """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE id = $1) THEN json_build_object(
                    'job_id', $1::bigint,
                    'summary', (SELECT json_build_object('shape', shape, 'mode', mode, 'bf_cx', bf_cx, 'bf_cy', bf_cy,
                        'bf_radius', bf_radius, 'calibration', calibration, 'mrad_per_px', mrad_per_px,
                        'stereo_angle_deg', stereo_angle_deg, 'strategy', strategy, 'n_particles', n_particles,
                        'n_lines', n_lines) FROM stem4d_summary WHERE job_id = $1 LIMIT 1),
                    'images', coalesce((SELECT json_agg(json_build_object('name', name, 'detector', detector,
                        'stereo_angle_deg', stereo_angle_deg, 'has_image', png_file IS NOT NULL,
                        'url', '/api/jobs/' || $1 || '/stem4d/images/' || name) ORDER BY name)
                        FROM stem4d_virtual_images WHERE job_id = $1), '[]'),
                    'lines', coalesce((SELECT json_agg(json_build_object('line_id', line_id, 'points', points,
                        'reprojection_rms', reprojection_rms) ORDER BY line_id) FROM stem4d_lines3d WHERE job_id = $1), '[]'),
                    'particles', coalesce((SELECT json_agg(json_build_object('particle_id', particle_id, 'x', x, 'y', y,
                        'z', z, 'radius', radius) ORDER BY particle_id) FROM stem4d_particles WHERE job_id = $1), '[]'),
                    'rdf', coalesce((SELECT json_agg(json_build_object('r', r, 'g', g) ORDER BY r)
                        FROM stem4d_rdf WHERE job_id = $1), '[]'))
                END
                """, [id])
            guard let json else { throw DashboardHTTPError.notFound("job \(id)") }
            return JSONResponse.raw(json)
        }
        router.get("/api/jobs/:id/stem4d/images/:name") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let name = try context.parameters.require("name")
            // The name only selects a row; the path sent is the one that row lists.
            let path = try await JSONResponse.query(database,
                "SELECT png_file FROM stem4d_virtual_images WHERE job_id = $1 AND name = $2 LIMIT 1", [id, name])
            return try ListedFile.png(path, what: "virtual image \(name) of job \(id)")
        }
    }
}
