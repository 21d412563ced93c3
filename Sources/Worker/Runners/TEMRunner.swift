import Foundation
import Kernels
import Shared

/// The `tem` kinds: a `tem` shard decodes and analyses a contiguous range of frames and returns
/// one `tem_frame_results` row per frame and one `tem_dislocation_results` row per detected
/// dislocation; `tem.merge` tracks them (`TEMMerge`).
///
/// A frame that cannot be read fails its shard task, naming every bad frame of the range (the
/// other frames are still analysed, so one attempt finds them all). The task is retried and
/// then dead; the job goes on, and the merge re-analyses the good frames of dead ranges so that
/// only the corrupt frames are missing from the results.
public struct TEMRunner: TaskRunner {
    public init() {}

    public var kinds: [String] { ["tem", "tem.merge"] }

    public func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
        let params = Self.params(task)
        let options = try TEMJobOptions(params)
        if task.kind == "tem.merge" {
            defer { OutputHousekeeping.removeStaleTemporaries(params, task: task, context: context) }
            return try TEMMerge.run(task, params: params, options: options, context: context)
        }
        let payload = try Self.payload(task)
        var analysis = TEMFrameAnalysis(options: options, jobInput: task.jobInput)
        let failures = analysis.analyse(payload)
        if !failures.isEmpty {
            throw TaskError(Self.describe(failures, of: payload))
        }
        return TaskOutput(results: [analysis.frames, analysis.dislocations])
    }

    /// `frame 12 (f12.png): cannot read f12.png: …; 1 of 30 frames (12…41) unreadable`.
    static func describe(_ failures: [(index: Int, file: String, error: String)], of payload: TEMTaskPayload) -> String {
        let last = payload.firstFrame + payload.files.count - 1
        var text = failures.prefix(3).map { "frame \($0.index): \($0.error)" }.joined(separator: "; ")
        if failures.count > 3 { text += "; and \(failures.count - 3) more" }
        text += " (\(failures.count) of the \(payload.files.count) frames \(payload.firstFrame)…\(last) of this task are unreadable; the merge analyses the others)"
        return text
    }

    static func payload(_ task: ClaimedTask) throws -> TEMTaskPayload {
        do {
            return try JSONDecoder().decode(TEMTaskPayload.self, from: Data(task.payload.utf8))
        } catch {
            throw TaskError("tem task \(task.id): unreadable payload: \(error)")
        }
    }

    static func params(_ task: ClaimedTask) -> JobParams {
        JobParams((try? JSONDecoder().decode([String: String].self, from: Data(task.jobParams.utf8))) ?? [:])
    }
}
