import ArgumentParser
import Coordinator
import Foundation
import Kernels
import Shared

/// 4D-STEM cubes (HDF5, `.npy`, Merlin `.mib`, EMPAD, Gatan 4D DM4) in; virtual images, the bright-field
/// calibration, tilt-less stereo pairs and 3D lines or particles with g(r) out (docs/stem4d.md).
public struct STEM4DKind: Kind {
    public init() {}

    public var name: String { "stem4d" }
    public var inputDescription: String { "a 4D-STEM cube (HDF5, .npy, Merlin .mib, EMPAD or 4D .dm4)" }

    public func options(_ params: JobParams) throws -> STEM4DJobOptions { try STEM4DJobOptions(params) }

    /// From the content (`STEM4DRecognition`).
    public func recognise(_ input: InputListing) -> InputMatch { STEM4DRecognition.match(input) }

    public func describe(_ input: InputListing, params: [String: String]) -> [String] { STEM4DRecognition.describe(input, params: params) }

    public func plan(input: String, options: STEM4DJobOptions, context: PlanContext) throws -> STEM4DPlanner.Plan {
        try STEM4DPlanner.plan(input: input, options: options, context: context)
    }

    public func runShard(_ payload: STEM4DShard.ShardPayload, options: STEM4DJobOptions, context: KindContext) throws -> ShardResult<STEM4DShardOutput> {
        try STEM4DShard.run(payload, context: context)
    }

    public func merge(_ payload: STEM4DMerge.Payload, shards: [ShardInput<STEM4DShard.ShardPayload, STEM4DShardOutput>],
                      options: STEM4DJobOptions, context: KindContext) throws -> [ResultRows] {
        try STEM4DMerge.run(payload, shards: shards, options: options, context: context)
    }

    public var shardTables: [String] { [] }
    public var mergeTables: [String] { STEM4DMerge.tables }

    public func summary(of job: JobRecord, on conn: PGConnection) throws -> [String] {
        let r = try conn.exec(
            """
            SELECT (SELECT count(*) FROM stem4d_virtual_images WHERE job_id = $1),
                   (SELECT count(*) FROM stem4d_particles WHERE job_id = $1),
                   (SELECT count(*) FROM stem4d_lines3d WHERE job_id = $1),
                   s.report_file, s.bf_cx, s.bf_cy, s.bf_radius, s.stereo_angle_deg, s.strategy, s.mode
            FROM (SELECT 1) AS one LEFT JOIN stem4d_summary s ON s.job_id = $1
            """, [job.id])
        var out: [String] = []
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
        return out
    }

    public var exporter: (any JobExporter)? { STEM4DExporter() }
    public var synthCommand: (any ParsableCommand.Type)? { SynthSTEM4DCommand.self }
    public var evalCommand: (any ParsableCommand.Type)? { EvalSTEM4DCommand.self }
    public var benchCommand: (any ParsableCommand.Type)? { BenchSTEM4DCommand.self }
}
