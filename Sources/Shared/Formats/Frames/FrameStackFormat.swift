import Foundation

/// The image formats a TEM video may come in, recognised from a file's first bytes (and, for
/// MRC, which has no magic number at the start, its header's `MAP ` stamp or extension).
public enum FrameStackFormat: String, Sendable, Equatable, CaseIterable {
    case png, tiff, jpeg, mrc, dm, ser, emd, video

    /// Extensions of frame and stack files (for listing a directory and for the error of a
    /// file that is none of them).
    public static let extensions: Set<String> = ["png", "tif", "tiff", "jpg", "jpeg", "mrc", "mrcs", "st", "ali", "dm3", "dm4", "ser", "emd",
                                                 "avi", "mp4", "mkv", "mov"]

    static let byExtension: [String: FrameStackFormat] = [
        "png": .png, "tif": .tiff, "tiff": .tiff, "jpg": .jpeg, "jpeg": .jpeg, "dm3": .dm, "dm4": .dm, "mrc": .mrc, "mrcs": .mrc, "ser": .ser, "emd": .emd,
        "avi": .video, "mp4": .video, "mkv": .video, "mov": .video,
    ]

    /// The format of `path` from its content; nil when it is none of them.
    public static func detect(path: String) -> FrameStackFormat? {
        guard let handle = try? FrameFileHandle(path: path), let head = try? handle.prefix(count: 1024) else { return nil }
        let ext = (path as NSString).pathExtension.lowercased()
        return detect(head: head, extension: ext)
    }

    /// The format from the first (up to 1024) bytes and the extension.
    public static func detect(head: [UInt8], extension ext: String) -> FrameStackFormat? {
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0x49, 0x49, 0x2A, 0]) || starts([0x4D, 0x4D, 0, 0x2A]) || starts([0x49, 0x49, 0x2B, 0]) || starts([0x4D, 0x4D, 0, 0x2B]) { return .tiff }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .emd }
        if starts([0x49, 0x49, 0x97, 0x01]) { return .ser }
        if starts([0, 0, 0, 3]) || starts([0, 0, 0, 4]), ext == "dm3" || ext == "dm4" || DMFile.looksLikeDM(head) { return .dm }
        if head.count >= 212, head[208..<212].elementsEqual("MAP ".utf8) { return .mrc }
        if ["mrc", "mrcs", "st", "ali"].contains(ext), head.count >= 1024 { return .mrc }
        if starts([0x52, 0x49, 0x46, 0x46]) || starts([0x1A, 0x45, 0xDF, 0xA3]) || (head.count >= 8 && head[4..<8].elementsEqual("ftyp".utf8)) { return .video }
        return nil
    }

    /// Opens `path` as a frame stack of the format its content shows; errors name the file,
    /// what was found and what to do.
    public static func open(path: String) throws -> any FrameStack {
        guard let format = detect(path: path) else {
            // A damaged file named like a frame: its reader says what is wrong with it.
            if let byName = byExtension[(path as NSString).pathExtension.lowercased()], FileManager.default.isReadableFile(atPath: path) {
                return try byName.open(path: path)
            }
            if !FileManager.default.isReadableFile(atPath: path) {
                throw FormatError(.unreadable, file: path, problem: "it does not exist or cannot be read")
            }
            throw FormatError(.unsupported, file: path,
                              problem: "its content is none of the TEM formats Slipline reads (PNG, TIFF, JPEG, MRC, DM3/DM4, SER, Velox EMD, AVI/MP4/MKV video)",
                              fix: "convert it to a TIFF or MRC stack, or to PNG frames")
        }
        return try format.open(path: path)
    }

    /// Opens `path` with this format's reader.
    public func open(path: String) throws -> any FrameStack {
        switch self {
        case .png: return try PNGFrame(path: path)
        case .tiff: return try TIFFStack(path: path)
        case .jpeg: return try JPEGImage(path: path)
        case .mrc: return try MRCStack(path: path)
        case .dm: return try DMStack(path: path)
        case .ser: return try SERStack(path: path)
        case .emd:
            #if SLIPLINE_FUZZ  // the fuzz build (ops/fuzz.sh) leaves HDF5 out; EMD is HDF5's own parser
            throw FormatError(.unsupported, file: path, problem: "EMD is not in the fuzz build")
            #else
            return try EMDStack(path: path)
            #endif
        case .video: return try VideoStack(path: path)
        }
    }

    public var displayName: String {
        switch self {
        case .png: "PNG"
        case .tiff: "TIFF"
        case .jpeg: "JPEG"
        case .mrc: "MRC"
        case .dm: "DigitalMicrograph (DM3/DM4)"
        case .ser: "TIA SER"
        case .emd: "HDF5/EMD"
        case .video: "video (AVI/MP4/MOV/MKV)"
        }
    }
}
