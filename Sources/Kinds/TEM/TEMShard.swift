import Foundation
import Kernels
import Shared

/// A `tem` shard: decodes and analyses a contiguous range of frames, returns one
/// `tem_frame_results` row per frame and one `tem_dislocation_results` row per detected
/// dislocation, and hands the curves to the merge in a curves file.
///
/// A frame that cannot be read fails the shard, naming every bad frame of the range (the
/// other frames are still analysed, so one attempt finds them all). The task is retried and
/// then dead; the job goes on, and the merge re-analyses the good frames of dead ranges so that
/// only the corrupt frames are missing from the results.
enum TEMShard {
    static func run(_ payload: TEMTaskPayload, options: TEMJobOptions, context: KindContext) throws -> ShardResult<TEMShardOutput> {
        var analysis = TEMFrameAnalysis(options: options, context: context)
        let failures = analysis.analyse(payload)
        try context.checkCancelled()
        if !failures.isEmpty {
            throw TaskError(describe(failures, of: payload))
        }
        let file = try context.output.check(TEMPaths.curves(context.output, firstFrame: payload.firstFrame, count: payload.files.count))
        try TEMCurvesFile.write(analysis.analysed, to: file)
        let output = TEMShardOutput(curvesFile: file, frames: analysis.analysed.count, dislocations: analysis.dislocations.rows.count)
        return ShardResult(output: output, rows: [analysis.frames, analysis.dislocations])
    }

    /// `frame 12 (f12.png): cannot read f12.png: …; 1 of 30 frames (12…41) unreadable`.
    static func describe(_ failures: [TEMFrameAnalysis.Failure], of payload: TEMTaskPayload) -> String {
        let last = payload.firstFrame + payload.files.count - 1
        var text = failures.prefix(3).map { "frame \($0.index): \($0.error)" }.joined(separator: "; ")
        if failures.count > 3 { text += "; and \(failures.count - 3) more" }
        text += " (\(failures.count) of the \(payload.files.count) frames \(payload.firstFrame)…\(last) of this task are unreadable; the merge analyses the others)"
        return text
    }
}
