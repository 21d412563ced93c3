import Foundation
import Hummingbird
import Shared

/// `/api/jobs/{id}/bcdi…`: volumes, lines in 3D (with their tracks across time steps) and
/// maximum projections of Ψ read from the `psi_file` the job's results list.
struct BCDIAPI {
    let database: DashboardDatabase

    func register(on router: Router<DashboardContext>) {
        router.get("/api/jobs/:id/bcdi") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let json = try await JSONResponse.query(database, """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE id = $1) THEN json_build_object(
                    'job_id', $1::bigint,
                    'volumes', coalesce((SELECT json_agg(json_build_object('volume_index', volume_index,
                        'volume_file', volume_file, 'shape', shape, 'n_unmasked', n_unmasked, 'max_psi', max_psi,
                        'n_lines', n_lines, 'has_image', png_file IS NOT NULL) ORDER BY volume_index)
                        FROM bcdi_volumes WHERE job_id = $1), '[]'),
                    'lines', coalesce((SELECT json_agg(json_build_object('volume_index', volume_index, 'line_id', line_id,
                        'track_id', track_id, 'points', points, 'length_vox', length_vox, 'closed', closed)
                        ORDER BY volume_index, line_id) FROM bcdi_lines WHERE job_id = $1), '[]'),
                    'tracks', coalesce((SELECT json_agg(json_build_object('track_id', track_id, 'first_volume', first_volume,
                        'last_volume', last_volume, 'n_volumes', n_volumes, 'total_displacement_vox', total_displacement_vox)
                        ORDER BY track_id) FROM bcdi_tracks WHERE job_id = $1), '[]'))
                END
                """, [id])
            guard let json else { throw DashboardHTTPError.notFound("job \(id)") }
            return JSONResponse.raw(json)
        }
        router.get("/api/jobs/:id/bcdi/volumes/:index/image") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let index = try context.parameters.require("index", as: Int.self)
            let path = try await JSONResponse.query(database,
                "SELECT png_file FROM bcdi_volumes WHERE job_id = $1 AND volume_index = $2 LIMIT 1", [id, index])
            return try ListedFile.png(path, what: "the picture of volume \(index) of job \(id)")
        }
        router.get("/api/jobs/:id/bcdi/volumes/:index/psi-projections") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let index = try context.parameters.require("index", as: Int.self)
            let row = try await database.read { conn -> (String, String)? in
                let r = try conn.exec(
                    "SELECT psi_file, shape::text FROM bcdi_volumes WHERE job_id = $1 AND volume_index = $2 LIMIT 1", [id, index])
                guard r.rowCount > 0, let path = r.string(0, 0), let shape = r.string(0, 1) else { return nil }
                return (path, shape)
            }
            guard let (path, shapeText) = row else { throw DashboardHTTPError.notFound("volume \(index) of job \(id)") }
            let projections = try PsiProjections.read(path: path, shapeJSON: shapeText, what: "Ψ of volume \(index) of job \(id)")
            return try JSONResponse.make(projections)
        }
    }
}

/// Maximum projections of a Ψ volume along z, y and x, scaled to 0…255 by the volume's
/// maximum: small enough to send, and what the eye needs to find the lines.
struct PsiProjections: Codable, Sendable {
    struct Projection: Codable, Sendable {
        let axis: String
        let width: Int
        let height: Int
        let values: [UInt8]
    }
    let shape: [Int]
    let maxPsi: Float
    let projections: [Projection]

    /// Largest volume projected on request (voxels): a bigger one would stall the server.
    static let maxVoxels = 1 << 27

    static func read(path: String, shapeJSON: String, what: String) throws -> PsiProjections {
        guard let shape = try? JSONDecoder().decode([Int].self, from: Data(shapeJSON.utf8)), shape.count == 3,
              shape.allSatisfy({ $0 > 0 }) else {
            throw DashboardHTTPError(.unprocessableContent, "\(what): the shape listed for it is not [nz, ny, nx]")
        }
        let (nz, ny, nx) = (shape[0], shape[1], shape[2])
        guard nz * ny * nx <= maxVoxels else {
            throw DashboardHTTPError(.unprocessableContent, "\(what): \(nz)×\(ny)×\(nx) voxels is more than the dashboard projects (\(maxVoxels))")
        }
        let values: [Float]
        do {
            values = try HDF5File.open(path: path).dataset("/psi").read(Float.self)
        } catch {
            throw DashboardHTTPError(.gone, "\(what): cannot read /psi from \((path as NSString).lastPathComponent): \(error)")
        }
        guard values.count == nz * ny * nx else {
            throw DashboardHTTPError(.unprocessableContent, "\(what): /psi holds \(values.count) values, the shape says \(nz * ny * nx)")
        }
        var alongZ = [Float](repeating: 0, count: ny * nx)
        var alongY = [Float](repeating: 0, count: nz * nx)
        var alongX = [Float](repeating: 0, count: nz * ny)
        var peak: Float = 0
        for z in 0..<nz {
            for y in 0..<ny {
                let row = (z * ny + y) * nx
                for x in 0..<nx {
                    let v = values[row + x]
                    guard v.isFinite else { continue }
                    alongZ[y * nx + x] = max(alongZ[y * nx + x], v)
                    alongY[z * nx + x] = max(alongY[z * nx + x], v)
                    alongX[z * ny + y] = max(alongX[z * ny + y], v)
                    peak = max(peak, v)
                }
            }
        }
        let scale = peak > 0 ? 255 / peak : 0
        func bytes(_ a: [Float]) -> [UInt8] { a.map { UInt8(max(0, min(255, ($0 * scale).rounded()))) } }
        return PsiProjections(shape: shape, maxPsi: peak, projections: [
            Projection(axis: "z", width: nx, height: ny, values: bytes(alongZ)),
            Projection(axis: "y", width: nx, height: nz, values: bytes(alongY)),
            Projection(axis: "x", width: ny, height: nz, values: bytes(alongX)),
        ])
    }
}
