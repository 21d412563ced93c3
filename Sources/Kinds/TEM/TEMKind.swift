import ArgumentParser
import Coordinator
import Foundation
import Kernels
import Shared

/// In-situ TEM videos: a directory of PNG frames in, every dislocation per frame as its own
/// curve, tracks, velocities and pile-up pair distances out (docs/tem.md).
public struct TEMKind: Kind {
    public init() {}

    public var name: String { "tem" }
    public var inputDescription: String {
        "an in-situ TEM video: a TIFF, MRC or DM3/DM4 stack, or a directory of PNG, TIFF, JPEG or DM frames"
    }

    public func options(_ params: JobParams) throws -> TEMJobOptions { try TEMJobOptions(params) }

    /// From the content: a file or a directory's frames that open as grey 2D images or 3D
    /// stacks (PNG, TIFF, JPEG, MRC, DM3/DM4) are TEM video; a 4D DM file is not.
    public func recognise(_ input: InputListing) -> InputMatch {
        TEMRecognition.match(input)
    }

    public func plan(input: String, options: TEMJobOptions, context: PlanContext) throws -> KindPlan<TEMTaskPayload, TEMMergePayload> {
        try TEMPlanner.plan(input: input, options: options, context: context)
    }

    public func runShard(_ payload: TEMTaskPayload, options: TEMJobOptions, context: KindContext) throws -> ShardResult<TEMShardOutput> {
        try TEMShard.run(payload, options: options.withDefaults(from: payload.metadata), context: context)
    }

    public func merge(_ payload: TEMMergePayload, shards: [ShardInput<TEMTaskPayload, TEMShardOutput>], options: TEMJobOptions,
                      context: KindContext) throws -> [ResultRows] {
        try TEMMerge.run(payload, shards: shards, options: options.withDefaults(from: payload.metadata), context: context)
    }

    public var shardTables: [String] { ["tem_frame_results", "tem_dislocation_results"] }
    /// The merge of a job planned before partial merges writes `TEMMerge.tables`; a final merge
    /// `TEMFinalMerge.tables`; clearing both on a re-run is harmless.
    public var mergeTables: [String] { Array(Set(TEMMerge.tables + TEMFinalMerge.tables)).sorted() }

    public func summary(of job: JobRecord, on conn: PGConnection) throws -> [String] {
        guard job.nTasks > 0 else { return [] }
        let r = try conn.exec(
            """
            SELECT (SELECT count(*) FROM tem_frames WHERE job_id = $1),
                   (SELECT count(*) FROM tem_dislocations WHERE job_id = $1),
                   (SELECT count(*) FROM tem_tracks WHERE job_id = $1),
                   (SELECT plot_file FROM tem_report_results WHERE job_id = $1 LIMIT 1),
                   (SELECT jsonb_array_length(overlay_files) FROM tem_report_results WHERE job_id = $1 LIMIT 1),
                   (SELECT salvaged_frames FROM tem_report_results WHERE job_id = $1 LIMIT 1)
            """, [job.id])
        var out: [String] = []
        var line = "  results: \(r.int(0, 0) ?? 0) frame(s), \(r.int(0, 1) ?? 0) dislocation(s), \(r.int(0, 2) ?? 0) track(s)"
        if let salvaged = r.int(0, 5), salvaged > 0 { line += " (\(salvaged) frame(s) of failed tasks analysed by the merge)" }
        out.append(line)
        if let plot = r.string(0, 3) {
            out.append("  report: \(plot) and \(r.int(0, 4) ?? 0) overlay PNG(s) in \((plot as NSString).deletingLastPathComponent)")
        }
        out.append("  query: ctl sql \"SELECT * FROM tem_dislocations WHERE job_id = \(job.id)\"")
        return out
    }

    public var exporter: (any JobExporter)? { TEMExporter() }
}

/// Tracking in two levels (docs/scaling.md): partials of about `partial_frames` frames link their
/// range into tracklets, the final merge links tracklets over the video.
extension TEMKind: PartialMerging {
    public func shardsPerPartial(shards: [TEMTaskPayload], options: TEMJobOptions) -> Int {
        let perShard = max(1, shards.first?.files.count ?? 1)
        return max(1, Int((Double(options.partialFrames) / Double(perShard)).rounded()))
    }

    public func mergePartial(_ range: PartialRange, shards: [ShardInput<TEMTaskPayload, TEMShardOutput>], options: TEMJobOptions,
                             context: KindContext) throws -> ShardResult<TEMPartialOutput> {
        try TEMPartialMerge.run(range, shards: shards, options: options.withDefaults(from: shards.first?.payload.metadata), context: context)
    }

    public func mergeFinal(_ payload: TEMMergePayload, partials: [ShardInput<PartialRange, TEMPartialOutput>], options: TEMJobOptions,
                           context: KindContext) throws -> [ResultRows] {
        try TEMFinalMerge.run(payload, partials: partials, options: options.withDefaults(from: payload.metadata), context: context)
    }

    public var partialTables: [String] { TEMPartialMerge.tables }
    public var synthCommand: (any ParsableCommand.Type)? { SynthTEMCommand.self }
    public var evalCommand: (any ParsableCommand.Type)? { EvalTEMCommand.self }
    public var benchCommand: (any ParsableCommand.Type)? { BenchTEMCommand.self }
}
