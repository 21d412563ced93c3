import Foundation
import Shared

/// A frame for the report's overlays, from any frame source (`FILE#N` included), as grey
/// levels in [0, 1]: frames already in [0, 1] (8/16-bit files) are kept as read; others
/// (signed, 32-bit, float) are stretched between their 0.5th and 99.5th percentiles.
enum TEMFrameDisplay {
    /// nil when the frame can no longer be read (it was read by a task already; a file that
    /// vanished since only loses its overlay).
    static func image(_ file: String, context: KindContext) -> PNGImage? {
        let reference = FrameReference(parsing: file)
        guard let path = try? context.input(reference.path) else { return nil }
        var pixels: [Float] = []
        guard let size = try? FrameReader().read(reference, path: path, into: &pixels) else { return nil }
        let low = pixels.min() ?? 0, high = pixels.max() ?? 1
        if low < 0 || high > 1 || !low.isFinite || !high.isFinite {
            let sorted = pixels.filter(\.isFinite).sorted()
            guard !sorted.isEmpty else { return nil }
            let a = sorted[sorted.count / 200], b = sorted[(sorted.count - 1) - sorted.count / 200]
            let scale = b > a ? 1 / (b - a) : 0
            for i in pixels.indices { pixels[i] = pixels[i].isFinite ? min(1, max(0, (pixels[i] - a) * scale)) : 0 }
        }
        return PNGImage(width: size.width, height: size.height, bitDepth: 8, pixels: pixels)
    }
}
