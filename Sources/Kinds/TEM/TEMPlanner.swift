import Coordinator
import Foundation
import Shared

/// Plans `tem` jobs. The input is a directory of PNG frames, ordered by natural sort of their
/// names (`frame_index` from 0); other files are ignored and reported once in the job's notes.
/// Every frame's header is read (33 bytes, never the pixels): a frame of a different size from
/// the first is an error naming it. Frames are cut into shard tasks of contiguous ranges of
/// `--param frames_per_task=N` frames (default: about one second of work each), plus one
/// merge task that tracks the dislocations once every shard has finished.
///
/// A frame whose header is unreadable does not stop the job: its task fails with the reason
/// (naming the file) and the merge re-analyses the good frames of that range.
enum TEMPlanner {
    static func plan(input: String, options: TEMJobOptions, context: PlanContext) throws -> KindPlan<TEMTaskPayload, TEMMergePayload> {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: input, isDirectory: &isDir) else {
            throw PlanError("tem input \(input) does not exist; pass a directory of PNG frames")
        }
        guard isDir.boolValue else {
            throw PlanError("tem input \(input) is a file; pass the directory that holds the video's PNG frames")
        }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: input).filter { !$0.hasPrefix(".") }
        } catch {
            throw PlanError("cannot list tem input \(input): \(error.localizedDescription)")
        }
        // Frames are the regular files named *.png; other files are reported, subdirectories skipped.
        let files = names.filter { !isDirectory((input as NSString).appendingPathComponent($0)) }
        let frames = files.filter { ($0 as NSString).pathExtension.lowercased() == "png" }.naturallySorted()
        let ignored = files.filter { ($0 as NSString).pathExtension.lowercased() != "png" }.naturallySorted()
        var notes: [String] = []
        if !ignored.isEmpty {
            notes.append("ignored \(ignored.count) file(s) in \(input) that are not PNG frames: \(ignored.prefix(5).joined(separator: ", "))\(ignored.count > 5 ? ", …" : "")")
        }
        guard !frames.isEmpty else {
            throw PlanError("tem input \(input) holds no PNG frames (*.png)\(ignored.isEmpty ? " (it is empty)" : "; it holds only \(ignored.prefix(3).joined(separator: ", "))\(ignored.count > 3 ? ", …" : "")")")
        }
        let paths = frames.map { (input as NSString).appendingPathComponent($0) }

        // Header check of every frame: the size of the first readable one is the video's.
        var size: (width: Int, height: Int, file: String)?
        var unreadable: [String] = []
        for (index, path) in paths.enumerated() {
            let header: PNGHeader
            do {
                header = try PNGHeader.read(path: path)
            } catch {
                unreadable.append(frames[index])
                continue
            }
            guard let reference = size else {
                size = (header.width, header.height, frames[index])
                continue
            }
            if header.width != reference.width || header.height != reference.height {
                throw PlanError("frame \(frames[index]) (frame_index \(index)) is \(header.width)×\(header.height) pixels, but the video's frames are \(reference.width)×\(reference.height) (like \(reference.file)); every frame of a tem video must have the same size: remove or resize \(frames[index])")
            }
        }
        guard let reference = size else {
            throw PlanError("no frame of \(input) is a readable PNG (first: \(describeHeaderError(paths[0])))")
        }
        if !unreadable.isEmpty {
            notes.append("\(unreadable.count) of \(frames.count) frame(s) have an unreadable PNG header (\(unreadable.prefix(5).joined(separator: ", "))\(unreadable.count > 5 ? ", …" : "")); their tasks will fail naming them")
        }

        let perTask = options.framesPerTask ?? TEMJobOptions.defaultFramesPerTask(width: reference.width, height: reference.height)
        let shards = stride(from: 0, to: paths.count, by: perTask).map { start in
            TEMTaskPayload(firstFrame: start, files: Array(paths[start..<min(paths.count, start + perTask)]),
                           width: reference.width, height: reference.height, referenceFile: paths.first)
        }
        return KindPlan(shards: shards, merge: TEMMergePayload(frames: paths.count), notes: notes)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    private static func describeHeaderError(_ path: String) -> String {
        do {
            _ = try PNGHeader.read(path: path)
            return ""
        } catch {
            return "\(error)"
        }
    }
}
