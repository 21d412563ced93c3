import Foundation
import Shared

/// A map as an RGB PNG with a colour bar: each scan position a square of pixels, NaN grey;
/// a diverging blue–white–red scale symmetric about 0 for signed maps (strain, tilts), a
/// sequential dark-to-yellow scale otherwise, integer labels for cluster maps. The colour bar
/// on the right carries its end values in a 3×5 pixel font.
enum NanodiffMapImage {
    static func write(_ values: [Double], rows: Int, cols: Int, signed: Bool, to path: String) throws {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if signed { let m = max(abs(lo), abs(hi), 1e-300); lo = -m; hi = m }
        if hi <= lo { hi = lo + 1 }
        let cell = max(1, min(16, 320 / max(rows, cols)))
        let mapW = cols * cell, mapH = rows * cell
        let barX = mapW + 8, barW = 12, labelW = 4 * 10
        let width = barX + barW + 4 + labelW, height = max(mapH, 60)
        var px = [UInt8](repeating: 255, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0 && x < width && y >= 0 && y < height else { return }
            let i = (y * width + x) * 3
            px[i] = c.0; px[i + 1] = c.1; px[i + 2] = c.2
        }
        for r in 0..<rows {
            for c in 0..<cols {
                let v = values[r * cols + c]
                let colour = v.isFinite ? colourFor((v - lo) / (hi - lo), signed: signed) : (128, 128, 128)
                for dy in 0..<cell { for dx in 0..<cell { set(c * cell + dx, r * cell + dy, colour) } }
            }
        }
        for y in 0..<height {
            let t = 1 - Double(y) / Double(max(1, height - 1))
            for x in barX..<(barX + barW) { set(x, y, colourFor(t, signed: signed)) }
        }
        drawText(label(hi), x: barX + barW + 3, y: 1, set: set)
        drawText(label(lo), x: barX + barW + 3, y: height - 6, set: set)
        if signed { drawText("0", x: barX + barW + 3, y: height / 2 - 3, set: set) }
        try AtomicFile.write(path) { try PNGWriter.writeRGB8(path: $0, width: width, height: height, pixels: px) }
    }

    static func label(_ v: Double) -> String { String(format: "%.2e", v).replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-") }

    static func colourFor(_ t: Double, signed: Bool) -> (UInt8, UInt8, UInt8) {
        let t = max(0, min(1, t))
        func b(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
        if signed {
            return t < 0.5 ? (b(2 * t), b(2 * t), 255) : (255, b(2 - 2 * t), b(2 - 2 * t))
        }
        // Dark blue → teal → yellow.
        return (b(t * t), b(0.15 + 0.8 * t), b(0.45 + 0.3 * t - 0.7 * t * t))
    }

    /// 3×5 glyphs, rows top to bottom, 3 bits each.
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], "e": [0, 7, 7, 4, 7], "+": [0, 2, 7, 2, 0],
    ]

    static func drawText(_ text: String, x: Int, y: Int, set: (Int, Int, (UInt8, UInt8, UInt8)) -> Void) {
        for (k, ch) in text.enumerated() {
            guard let g = glyphs[ch] else { continue }
            for (r, bits) in g.enumerated() {
                for c in 0..<3 where bits & (4 >> UInt8(c)) != 0 { set(x + k * 4 + c, y + r, (0, 0, 0)) }
            }
        }
    }
}
