import Coordinator
import Foundation
import Shared

/// Plans `tem` jobs. The input is a video file (a TIFF, MRC or DM3/DM4 stack: `frame_file` is
/// `FILE#N`) or a directory of frames (PNG, TIFF, JPEG, DM3/DM4, MRC; natural sort of the names,
/// or Gatan's in-situ `Hour_*/Minute_*/Second_*` layout in time order), listed by
/// `VideoListing`; `frame_index` counts from 0. Other files are ignored and reported once in
/// the job's notes, with what the files were found to be and the calibration they carry.
/// Every file's header is read, never its pixels: a frame of a different size from the first
/// is an error naming it. Frames are cut into shard tasks of contiguous ranges of
/// `--param frames_per_task=N` frames (default: about one second of work each), plus one merge
/// task that tracks the dislocations once every shard has finished.
///
/// Pixel size and frame interval from the files' metadata travel in the payloads and become
/// the job's defaults where `pixel_size_nm` / `frame_interval_s` were not given.
///
/// A frame whose header is unreadable does not stop the job: its task fails with the reason
/// (naming the file) and the merge re-analyses the good frames of that range.
enum TEMPlanner {
    static func plan(input: String, options: TEMJobOptions, context: PlanContext) throws -> KindPlan<TEMTaskPayload, TEMMergePayload> {
        let video: VideoListing
        do {
            video = try VideoListing(path: input)
        } catch let error as VideoListingError {
            throw PlanError(error.description)
        } catch {
            throw PlanError("cannot read tem input: \(error)")
        }
        var notes = video.found.map { "found \($0)" }
        if !video.ignored.isEmpty {
            notes.append("ignored \(video.ignored.count) file(s) in \(input) that are not frames: \(video.ignored.prefix(5).joined(separator: ", "))\(video.ignored.count > 5 ? ", …" : "")")
        }
        if !video.unreadable.isEmpty {
            let names = video.unreadable.prefix(5).map { ($0.file as NSString).lastPathComponent }
            notes.append("\(video.unreadable.count) of \(video.frames.count) frame file(s) have an unreadable header (\(names.joined(separator: ", "))\(video.unreadable.count > 5 ? ", …" : "")); their tasks will fail naming them")
        }
        let metadata = FrameMetadata(pixelSizeNm: options.pixelSizeNm == nil ? video.metadata.pixelSizeNm : nil,
                                     frameIntervalS: options.frameIntervalS == nil ? video.metadata.frameIntervalS : nil)
        if let p = metadata.pixelSizeNm { notes.append("pixel_size_nm=\(p) from the file's metadata") }
        if let t = metadata.frameIntervalS { notes.append("frame_interval_s=\(t) from the file's metadata") }

        let refs = video.frames.map(\.text)
        let perTask = options.framesPerTask ?? TEMJobOptions.defaultFramesPerTask(width: video.width, height: video.height)
        let shards = stride(from: 0, to: refs.count, by: perTask).map { start in
            TEMTaskPayload(firstFrame: start, files: Array(refs[start..<min(refs.count, start + perTask)]),
                           width: video.width, height: video.height, metadata: metadata, referenceFile: refs.first,
                           videoFrames: refs.count)
        }
        return KindPlan(shards: shards, merge: TEMMergePayload(frames: refs.count, metadata: metadata), notes: notes)
    }
}
