import Foundation

/// The frames of a TEM video, in order, found from the input path:
/// - one file: every frame of it (`FILE#N`, N from 0) — a TIFF/MRC/DM stack, a video
///   (AVI/MP4/MOV/MKV), or one image;
/// - a directory of frame files (PNG, TIFF, JPEG, DM3/DM4, MRC), in natural order of the
///   names; a file holding several frames contributes them all, in order (`FILE#N`);
/// - Gatan's in-situ layout `Hour_HH/Minute_MM/Second_SS/*_Frame_NNNN.dm4`, in time order;
///   the frame interval is then one second over the median number of frames per second.
///
/// Every file's header is read (never its pixels). Files whose header is unreadable stay in
/// the list as one frame each, so their task fails naming them; `unreadable` says which.
public struct VideoListing: Sendable {
    public var frames: [FrameReference] = []
    public var width = 0
    public var height = 0
    public var metadata = FrameMetadata()
    /// What the files were found to be (one line per distinct format description, first file).
    public var found: [String] = []
    /// Files in the directory that are not frames (names).
    public var ignored: [String] = []
    /// Files whose header could not be read, with the reason.
    public var unreadable: [(file: String, reason: String)] = []

    /// File extensions taken as frames in a directory.
    public static let frameExtensions: Set<String> = ["png", "tif", "tiff", "jpg", "jpeg", "dm3", "dm4", "mrc", "mrcs", "ser", "emd",
                                                             "avi", "mp4", "mkv", "mov"]

    public init(path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw VideoListingError("tem input \(path) does not exist; pass a video file (TIFF, MRC, DM3/DM4 stack) or a directory of frames")
        }
        if !isDir.boolValue {
            let stack = try FrameStackFormat.open(path: path)
            frames = (0..<stack.frameCount).map { FrameReference(path: path, index: $0) }
            (width, height, metadata) = (stack.width, stack.height, stack.metadata)
            found = ["\((path as NSString).lastPathComponent): \(stack.formatDescription)"]
            return
        }
        let inSitu = try InSituLayout.files(in: path)
        let files: [String]
        if let inSitu {
            files = inSitu.files
        } else {
            files = try Self.frameFiles(in: path, ignored: &ignored)
        }
        guard !files.isEmpty else {
            throw VideoListingError("tem input \(path) holds no frames (PNG, TIFF, JPEG, DM3/DM4 or MRC files)\(ignored.isEmpty ? " (it is empty)" : "; it holds only \(ignored.prefix(3).joined(separator: ", "))\(ignored.count > 3 ? ", …" : "")")")
        }
        try collect(files)
        if let interval = inSitu?.frameIntervalS { metadata.frameIntervalS = interval }
    }

    private static func frameFiles(in directory: String, ignored: inout [String]) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }
        } catch {
            throw VideoListingError("cannot list tem input \(directory): \(error.localizedDescription)")
        }
        var frames: [String] = []
        for name in names.naturallySorted() {
            let full = (directory as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            if frameExtensions.contains((name as NSString).pathExtension.lowercased()) { frames.append(full) } else { ignored.append(name) }
        }
        return frames
    }

    /// Opens every file's header: sizes must agree; multi-frame files are expanded.
    private mutating func collect(_ files: [String]) throws {
        var reference: (width: Int, height: Int, file: String)?
        var descriptions: Set<String> = []
        for file in files {
            let stack: any FrameStack
            do {
                stack = try FrameStackFormat.open(path: file)
            } catch {
                unreadable.append((file, "\(error)"))
                frames.append(FrameReference(path: file))
                continue
            }
            if let r = reference {
                guard stack.width == r.width, stack.height == r.height else {
                    throw VideoListingError("frame \((file as NSString).lastPathComponent) (frame_index \(frames.count)) is \(stack.width)×\(stack.height) pixels, but the video's frames are \(r.width)×\(r.height) (like \((r.file as NSString).lastPathComponent)); every frame of a tem video must have the same size: remove or resize \((file as NSString).lastPathComponent)")
                }
            } else {
                reference = (stack.width, stack.height, file)
                metadata = stack.metadata
            }
            let kind = stack.formatDescription.split(separator: ",").first.map(String.init) ?? ""
            if descriptions.insert(kind).inserted { found.append("\((file as NSString).lastPathComponent): \(stack.formatDescription)") }
            if stack.frameCount == 1 {
                frames.append(FrameReference(path: file))
            } else {
                frames += (0..<stack.frameCount).map { FrameReference(path: file, index: $0) }
            }
        }
        guard let r = reference else {
            throw VideoListingError("no frame of the input is readable (first: \(unreadable.first.map { $0.reason } ?? "?"))")
        }
        (width, height) = (r.width, r.height)
    }
}

/// A tem input that cannot be listed as a video: the message names the path and the fix.
public struct VideoListingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
