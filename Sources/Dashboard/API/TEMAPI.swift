import HTTPTypes
import Hummingbird
import Shared

/// `/api/jobs/{id}/tem…`: what the TEM page draws. Frames are sent as the PNG files the job
/// read (the browser draws the tracks over them); curves come in frame ranges so that a
/// 10,000-frame job opens with one small request and fills in while the user looks.
struct TEMAPI {
    let database: DashboardDatabase
    /// Most frames of curves per request.
    static let maxFrameRange = 2000

    func register(on router: Router<DashboardContext>) {
        router.get("/api/jobs/:id/tem") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let json = try await JSONResponse.query(database, """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE id = $1) THEN json_build_object(
                    'job_id', $1::bigint,
                    'n_frames', (SELECT count(*) FROM tem_frames WHERE job_id = $1),
                    'last_frame', (SELECT max(frame_index) FROM tem_frames WHERE job_id = $1),
                    'width', (SELECT width FROM tem_frames WHERE job_id = $1 ORDER BY frame_index LIMIT 1),
                    'height', (SELECT height FROM tem_frames WHERE job_id = $1 ORDER BY frame_index LIMIT 1),
                    'tracks', coalesce((SELECT json_agg(json_build_object('track_id', track_id, 'first_frame', first_frame,
                        'last_frame', last_frame, 'n_frames', n_frames, 'mean_speed_px', mean_speed_px,
                        'path_length_px', path_length_px) ORDER BY track_id) FROM tem_tracks WHERE job_id = $1), '[]'),
                    'exports', json_build_array(
                        '/api/jobs/' || $1 || '/tem/export/dislocations.csv', '/api/jobs/' || $1 || '/tem/export/tracks.csv',
                        '/api/jobs/' || $1 || '/tem/export/velocities.csv', '/api/jobs/' || $1 || '/tem/export/pair_distances.csv'))
                END
                """, [id])
            guard let json else { throw DashboardHTTPError.notFound("job \(id)") }
            return JSONResponse.raw(json)
        }
        router.get("/api/jobs/:id/tem/dislocations") { request, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let from = try Self.int(request, "from", default: 0)
            let to = try Self.int(request, "to", default: from + 199)
            guard to >= from, to - from < Self.maxFrameRange else {
                throw DashboardHTTPError(.badRequest, "from…to must be an increasing range of at most \(Self.maxFrameRange) frames")
            }
            let json = try await JSONResponse.query(database, """
                SELECT json_build_object('from', $2::int, 'to', $3::int, 'dislocations', coalesce(json_agg(json_build_object(
                    'frame_index', frame_index, 'dislocation_id', dislocation_id, 'track_id', track_id, 'points', points)
                    ORDER BY frame_index, dislocation_id), '[]'))
                FROM tem_dislocations WHERE job_id = $1 AND frame_index BETWEEN $2 AND $3
                """, [id, from, to])
            return JSONResponse.raw(json ?? "{}")
        }
        router.get("/api/jobs/:id/tem/frames/:index/image") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let index = try context.parameters.require("index", as: Int.self)
            let path = try await JSONResponse.query(database,
                "SELECT frame_file FROM tem_frames WHERE job_id = $1 AND frame_index = $2 LIMIT 1", [id, index])
            return try ListedFile.png(path, what: "frame \(index) of job \(id)")
        }
        router.get("/api/jobs/:id/tem/velocities") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let json = try await JSONResponse.query(database, """
                SELECT json_build_object('tracks', coalesce(json_agg(t ORDER BY t.track_id), '[]')) FROM (
                    SELECT track_id, json_agg(frame_index ORDER BY frame_index) AS frames,
                           json_agg(round(speed_px::numeric, 3) ORDER BY frame_index) AS speed_px
                    FROM tem_velocities WHERE job_id = $1 GROUP BY track_id) t
                """, [id])
            return JSONResponse.raw(json ?? #"{"tracks":[]}"#)
        }
        router.get("/api/jobs/:id/tem/pair-distances") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let json = try await JSONResponse.query(database, """
                SELECT json_build_object('tracks', coalesce(json_agg(t ORDER BY t.n DESC, t.track_id), '[]')) FROM (
                    SELECT track_id, count(*) AS n, json_agg(frame_index ORDER BY frame_index) AS frames,
                           json_agg(round(distance_px::numeric, 2) ORDER BY frame_index) AS distance_px
                    FROM tem_pair_distances WHERE job_id = $1 GROUP BY track_id) t
                """, [id])
            return JSONResponse.raw(json ?? #"{"tracks":[]}"#)
        }
        router.get("/api/jobs/:id/tem/export/:table") { _, context -> Response in
            let id = try context.parameters.require("id", as: Int64.self)
            let name = try context.parameters.require("table")
            guard let export = TEMExport(fileName: name) else {
                throw DashboardHTTPError(.notFound, "no export \(name): choose one of \(TEMExport.allCases.map(\.fileName).joined(separator: ", "))")
            }
            let csv = try await database.read { try export.csv($0, job: id) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8",
                          HTTPField.Name("Content-Disposition")!: "attachment; filename=\"job\(id)-\(export.fileName)\""],
                body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
    }

    static func int(_ request: Request, _ name: String, default value: Int) throws -> Int {
        guard let text = request.uri.queryParameters[Substring(name)] else { return value }
        guard let n = Int(text), n >= 0 else { throw DashboardHTTPError(.badRequest, "\(name) must be a whole number ≥ 0") }
        return n
    }
}

/// The TEM tables a user can download as CSV: a fixed list, each with its fixed query.
enum TEMExport: String, CaseIterable {
    case dislocations, tracks, velocities, pairDistances = "pair_distances"

    init?(fileName: String) {
        guard fileName.hasSuffix(".csv"), let value = TEMExport(rawValue: String(fileName.dropLast(4))) else { return nil }
        self = value
    }

    var fileName: String { rawValue + ".csv" }

    private var query: String {
        switch self {
        case .dislocations:
            return "SELECT frame_index, frame_file, dislocation_id, track_id, length_px, centroid_x, centroid_y, points::text FROM tem_dislocations WHERE job_id = $1 ORDER BY frame_index, dislocation_id"
        case .tracks:
            return "SELECT track_id, first_frame, last_frame, n_frames, mean_speed_px, path_length_px, mean_length_px FROM tem_tracks WHERE job_id = $1 ORDER BY track_id"
        case .velocities:
            return "SELECT track_id, frame_index, dislocation_id, x, y, vx, vy, speed_px FROM tem_velocities WHERE job_id = $1 ORDER BY track_id, frame_index"
        case .pairDistances:
            return "SELECT frame_index, track_id, dislocation_id, neighbour_track_id, neighbour_dislocation_id, distance_px, distance_nm FROM tem_pair_distances WHERE job_id = $1 ORDER BY frame_index, track_id"
        }
    }

    func csv(_ conn: PGConnection, job: Int64) throws -> String {
        let r = try conn.exec(query, [job])
        var out = (0..<r.columnCount).map { r.columnName($0) }.joined(separator: ",") + "\n"
        for row in r.allRows() {
            out += row.map { Self.field($0 ?? "") }.joined(separator: ",") + "\n"
        }
        return out
    }

    static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
