import Foundation
import Kernels
import Shared

/// The `bcdi` kinds: `bcdi` shards compute Ψ of one volume or z-slab and write a slab file;
/// `bcdi.merge` assembles the volumes, finds and tracks the lines and writes the results
/// (`BCDIMerge`).
public struct BCDIRunner: TaskRunner {
    public init() {}

    public var kinds: [String] { ["bcdi", "bcdi.merge"] }

    public func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
        let params = try Self.params(task)
        if task.kind == "bcdi.merge" {
            defer { OutputHousekeeping.removeStaleTemporaries(params, task: task, context: context) }
            return try BCDIMerge.run(task, params: params, context: context)
        }
        try runShard(task, params: params)
        return .none
    }

    /// Runs a shard: reads its planes (and what the global steps need), writes its slab file.
    public func runShard(_ task: ClaimedTask, params: JobParams) throws {
        let payload: BCDITaskPayload
        do {
            payload = try JSONDecoder().decode(BCDITaskPayload.self, from: Data(task.payload.utf8))
        } catch {
            throw TaskError("bcdi task \(task.id): unreadable payload: \(error)")
        }
        if let message = payload.error {
            // Found at planning; a retry re-runs the same plan, so a repaired file needs a new job.
            throw TaskError("volume \(payload.volumeIndex): \(message) (found when the job was planned: after repairing the file, submit the job again)")
        }
        let options = try BCDIJobOptions(params)
        let file = try InputGuard.check(payload.file, within: task.jobInput)
        let source = try BCDIVolumeSource(path: file, dataset: payload.dataset)
        guard source.shape == payload.shape else {
            throw TaskError("\(source.label): shape is now \(source.shape), was \(payload.shape) when the job was planned; resubmit the job")
        }
        guard let output = params.values["output_dir"], !output.isEmpty else {
            throw TaskError("bcdi job has no output_dir parameter (the coordinator sets it)")
        }
        let slabFile = try BCDIRunner.checkOutput(payload.slabFile, within: output)
        let contextFile = BCDIPaths.context(output, volume: payload.volumeIndex)
        let slab = try BCDISlabComputation.compute(source, options: options, z: payload.z0..<payload.z1, contextFile: contextFile)
        try BCDISlabComputation.write(slab, to: slabFile)
    }

    /// A file a task writes must lie in the job's output directory.
    static func checkOutput(_ path: String, within directory: String) throws -> String {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.path
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        guard standard.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw TaskError("refusing to write \(path): it is outside the job's output directory \(directory)")
        }
        return standard
    }

    static func params(_ task: ClaimedTask) throws -> JobParams {
        let values = (try? JSONDecoder().decode([String: String].self, from: Data(task.jobParams.utf8))) ?? [:]
        return JobParams(values)
    }
}
