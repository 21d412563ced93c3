import ArgumentParser
import Coordinator
import Foundation
import Kernels
import Shared

/// Scanning X-ray nanodiffraction: rocking scans (a 5D HDF5 dataset [angle, scan_y, scan_x,
/// det_y, det_x], or one 4D file per angle), one or a time series, in; strain, tilt,
/// intensity and region maps, dislocations and tilt boundaries, tracked through the series,
/// out (docs/nanodiff.md).
public struct NanodiffKind: Kind {
    public init() {}

    public var name: String { "nanodiff" }
    public var inputDescription: String { "a 5D HDF5 rocking scan, a directory of per-angle 4D files, or a series of scans" }

    public func options(_ params: JobParams) throws -> NanodiffJobOptions { try NanodiffJobOptions(params) }

    /// From the content (`NanodiffRecognition`).
    public func recognise(_ input: InputListing) -> InputMatch { NanodiffRecognition.match(input) }

    public func describe(_ input: InputListing, params: [String: String]) -> [String] { NanodiffRecognition.describe(input) }

    public func plan(input: String, options: NanodiffJobOptions, context: PlanContext) throws -> KindPlan<NanodiffShardPayload, NoOutput> {
        try NanodiffPlanner.plan(input: input, options: options, context: context)
    }

    public func runShard(_ payload: NanodiffShardPayload, options: NanodiffJobOptions, context: KindContext) throws -> ShardResult<NanodiffShardOutput> {
        try NanodiffShard.run(payload, options: options, context: context)
    }

    public func merge(_ payload: NoOutput, shards: [ShardInput<NanodiffShardPayload, NanodiffShardOutput>], options: NanodiffJobOptions,
                      context: KindContext) throws -> [ResultRows] {
        try NanodiffMerge.run(shards: shards, options: options, context: context)
    }

    public var shardTables: [String] { [] }
    public var mergeTables: [String] { NanodiffMerge.tables }

    public func summary(of job: JobRecord, on conn: PGConnection) throws -> [String] {
        let r = try conn.exec(
            """
            SELECT (SELECT count(*) FROM nanodiff_scans WHERE job_id = $1),
                   (SELECT count(*) FROM nanodiff_points WHERE job_id = $1),
                   (SELECT count(*) FROM nanodiff_defects WHERE job_id = $1 AND kind = 'dislocation'),
                   (SELECT count(*) FROM nanodiff_defects WHERE job_id = $1 AND kind = 'tilt_boundary'),
                   (SELECT min(maps_file) FROM nanodiff_scans WHERE job_id = $1)
            """, [job.id])
        var line = "  results: \(r.int(0, 0) ?? 0) scan(s), \(r.int(0, 1) ?? 0) position(s), \(r.int(0, 2) ?? 0) dislocation(s), \(r.int(0, 3) ?? 0) tilt boundar(ies)"
        if let maps = r.string(0, 4) { line += "; maps (HDF5, PNG) in \((maps as NSString).deletingLastPathComponent)" }
        return [line, "  query: ctl sql \"SELECT * FROM nanodiff_defects WHERE job_id = \(job.id)\""]
    }

    public var synthCommand: (any ParsableCommand.Type)? { SynthNanodiffCommand.self }
    public var evalCommand: (any ParsableCommand.Type)? { EvalNanodiffCommand.self }
    public var benchCommand: (any ParsableCommand.Type)? { BenchNanodiffCommand.self }
}
