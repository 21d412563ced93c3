import ArgumentParser
import Coordinator
import Foundation
import Kernels
import Shared

/// BCDI reconstructions: complex 3D volumes (PyNX CXI, HDF5, `.npy`), one or a time series,
/// in; Ψ volumes, 3D dislocation lines and their tracks out (docs/bcdi.md).
public struct BCDIKind: Kind {
    public init() {}

    public var name: String { "bcdi" }
    public var inputDescription: String { "a complex 3D volume (CXI/HDF5/.npy) or a directory of them" }

    public func options(_ params: JobParams) throws -> BCDIJobOptions { try BCDIJobOptions(params) }

    /// From the content (`BCDIRecognition`).
    public func recognise(_ input: InputListing) -> InputMatch { BCDIRecognition.match(input) }

    public func describe(_ input: InputListing, params: [String: String]) -> [String] { BCDIRecognition.describe(input, params: params) }

    public func plan(input: String, options: BCDIJobOptions, context: PlanContext) throws -> KindPlan<BCDITaskPayload, NoOutput> {
        try BCDIPlanner.plan(input: input, options: options, context: context)
    }

    public func runShard(_ payload: BCDITaskPayload, options: BCDIJobOptions, context: KindContext) throws -> ShardResult<BCDIShardOutput> {
        try BCDIShard.run(payload, options: options, context: context)
    }

    public func merge(_ payload: NoOutput, shards: [ShardInput<BCDITaskPayload, BCDIShardOutput>], options: BCDIJobOptions,
                      context: KindContext) throws -> [ResultRows] {
        try BCDIMerge.run(shards: shards, options: options, context: context)
    }

    public var shardTables: [String] { [] }
    public var mergeTables: [String] { BCDIMerge.tables }

    public func summary(of job: JobRecord, on conn: PGConnection) throws -> [String] {
        let r = try conn.exec(
            """
            SELECT (SELECT count(*) FROM bcdi_volumes WHERE job_id = $1),
                   (SELECT count(*) FROM bcdi_lines WHERE job_id = $1),
                   (SELECT count(DISTINCT track_id) FROM bcdi_lines WHERE job_id = $1),
                   (SELECT min(psi_file) FROM bcdi_volumes WHERE job_id = $1)
            """, [job.id])
        var line = "  results: \(r.int(0, 0) ?? 0) volume(s), \(r.int(0, 1) ?? 0) line(s), \(r.int(0, 2) ?? 0) track(s)"
        if let psi = r.string(0, 3) { line += "; Ψ volumes, PNGs and VTK files in \((psi as NSString).deletingLastPathComponent)" }
        return [line, "  query: ctl sql \"SELECT * FROM bcdi_lines WHERE job_id = \(job.id)\""]
    }

    public var exporter: (any JobExporter)? { BCDIExporter() }
    public var synthCommand: (any ParsableCommand.Type)? { SynthBCDICommand.self }
    public var evalCommand: (any ParsableCommand.Type)? { EvalBCDICommand.self }
    public var benchCommand: (any ParsableCommand.Type)? { BenchBCDICommand.self }
}
