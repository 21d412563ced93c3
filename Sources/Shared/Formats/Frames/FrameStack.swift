import Foundation

/// A video as a sequence of equally sized grey frames: one multi-frame file (a TIFF stack, an
/// MRC stack, a DM 3D image, a SER series) or a single image file (PNG, JPEG, a one-page TIFF).
/// Readers stream: opening reads headers only, and `readFrame` reads one frame's bytes.
///
/// Values: unsigned 8- and 16-bit samples become `v / 255` and `v / 65535` (what ``PNGImage``
/// gives, so the same video in PNG or TIFF gives the same curves); every other sample type
/// (signed, 32-bit, float) keeps its stored value. The detector's thresholds follow each
/// frame's own noise level, so the scale does not matter to it.
///
/// Not thread-safe: one per task (readers keep a reusable read buffer and a file position).
public protocol FrameStack: AnyObject {
    /// The file, as given to the opener.
    var file: String { get }
    /// What the file was found to be, e.g. `TIFF, 16-bit unsigned, LZW, 300 pages`.
    var formatDescription: String { get }
    var frameCount: Int { get }
    var width: Int { get }
    var height: Int { get }
    /// Calibration the file carries.
    var metadata: FrameMetadata { get }
    /// Decodes frame `index` (0 ..< frameCount) into `pixels`, resized to `width * height`
    /// only when its count differs (row-major, `pixels[y * width + x]`).
    func readFrame(_ index: Int, into pixels: inout [Float]) throws
}

/// Calibration found in a file's metadata; nil where the file does not say.
public struct FrameMetadata: Sendable, Equatable, Codable {
    /// Size of one pixel along x, in nanometres.
    public var pixelSizeNm: Double?
    /// Time between consecutive frames, in seconds.
    public var frameIntervalS: Double?

    public init(pixelSizeNm: Double? = nil, frameIntervalS: Double? = nil) {
        self.pixelSizeNm = pixelSizeNm.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        self.frameIntervalS = frameIntervalS.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
    }

    /// Length units microscopes write, as nanometres per unit; nil for anything else
    /// (including pixels and reciprocal units, which are no pixel size).
    public static func nanometres(perUnit unit: String) -> Double? {
        switch unit.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "nm", "nanometer", "nanometers", "nanometre", "nanometres": return 1
        case "µm", "μm", "um", "micron", "microns", "micrometer", "micrometers", "micrometre", "micrometres": return 1e3
        case "mm", "millimeter", "millimetre": return 1e6
        case "m", "meter", "meters", "metre", "metres": return 1e9
        case "å", "Å", "a", "angstrom", "angstroms", "ångström", "\\u00c5": return 0.1
        case "pm", "picometer", "picometre": return 1e-3
        default: return nil
        }
    }
}

/// Limits every frame reader checks before allocating, so a damaged header is an error and
/// never a multi-gigabyte allocation.
public enum FrameLimits {
    /// Pixels per frame (8192 × 8192; the largest TEM cameras are 8k × 8k).
    public static let maxPixels = 8192 * 8192

    /// Throws naming `file` when `width`×`height` is empty or over the limit.
    public static func check(width: Int, height: Int, file: String, format: String) throws {
        guard width >= 1, height >= 1, width <= 1 << 20, height <= 1 << 20, width * height <= maxPixels else {
            throw FormatError(width * height > maxPixels ? .tooLarge : .corrupt, file: file,
                              problem: "\(format) declares frames of \(width)×\(height) pixels (1…\(maxPixels) pixels per frame)",
                              fix: width * height > maxPixels ? "bin or crop the frames first" : "the file is damaged or not a \(format)")
        }
    }
}
