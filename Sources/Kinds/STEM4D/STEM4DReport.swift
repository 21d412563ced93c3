import Foundation
import Kernels
import Shared

/// The report PNG of a stem4d job: the stereo pair side by side (particles as red circles,
/// lines as red/green polylines) and, for particles, a g(r) plot.
struct STEM4DReport {
    let rows: Int, cols: Int
    var pair: (STEM4DImage, STEM4DImage)?
    var blobs: ([STEM4DBlob], [STEM4DBlob])?
    var lines: ([[(Double, Double)]], [[(Double, Double)]])?
    var rdf: [(Double, Double)] = []

    init(rows: Int, cols: Int) { self.rows = rows; self.cols = cols }

    /// Grey levels of `pixels` stretched between the 0.5 and 99.5 percentiles.
    static func stretch(_ pixels: [Float]) -> [UInt8] {
        let finite = pixels.filter { $0.isFinite }.sorted()
        guard let first = finite.first else { return [UInt8](repeating: 0, count: pixels.count) }
        let lo = finite[min(finite.count - 1, finite.count / 200)]
        let hi = finite[max(0, finite.count - 1 - finite.count / 200)]
        let span = hi > lo ? hi - lo : max(1, abs(first))
        return pixels.map { v in
            guard v.isFinite else { return 0 }
            return UInt8(max(0, min(255, ((v - lo) / span * 255).rounded())))
        }
    }

    struct Canvas {
        var width: Int, height: Int
        var pixels: [UInt8]
        mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            let i = 3 * (y * width + x)
            pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
        }
        mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ c: (UInt8, UInt8, UInt8)) {
            let n = max(1, Int(max(abs(x1 - x0), abs(y1 - y0)).rounded(.up)))
            for s in 0...n {
                let t = Double(s) / Double(n)
                set(Int((x0 + t * (x1 - x0)).rounded()), Int((y0 + t * (y1 - y0)).rounded()), c)
            }
        }
    }

    func render() -> Canvas {
        let scale = max(1, min(4, 512 / max(rows, cols)))
        let w = cols * scale, h = rows * scale
        let plotW = rdf.isEmpty ? 0 : max(200, h)
        let gap = 4
        var canvas = Canvas(width: 2 * w + gap + (plotW > 0 ? gap + plotW : 0), height: max(h, 1), pixels: [])
        canvas.pixels = [UInt8](repeating: 32, count: 3 * canvas.width * canvas.height)
        guard let (a, b) = pair else { return canvas }
        for (k, image) in [a, b].enumerated() {
            let gray = Self.stretch(image.pixels)
            let ox = k * (w + gap)
            for y in 0..<h {
                for x in 0..<w {
                    let g = gray[(y / scale) * cols + x / scale]
                    canvas.set(ox + x, y, (g, g, g))
                }
            }
            let s = Double(scale), off = (s - 1) / 2
            if let blobs {
                for blob in (k == 0 ? blobs.0 : blobs.1) {
                    let steps = max(12, Int(blob.radius * s * 6))
                    for i in 0..<steps {
                        let t0 = 2 * Double.pi * Double(i) / Double(steps), t1 = 2 * Double.pi * Double(i + 1) / Double(steps)
                        canvas.line(Double(ox) + (blob.x + blob.radius * cos(t0)) * s + off, (blob.y + blob.radius * sin(t0)) * s + off,
                                    Double(ox) + (blob.x + blob.radius * cos(t1)) * s + off, (blob.y + blob.radius * sin(t1)) * s + off,
                                    (255, 40, 40))
                    }
                }
            }
            if let lines {
                for polyline in (k == 0 ? lines.0 : lines.1) where polyline.count >= 2 {
                    for i in 1..<polyline.count {
                        canvas.line(Double(ox) + polyline[i - 1].0 * s + off, polyline[i - 1].1 * s + off,
                                    Double(ox) + polyline[i].0 * s + off, polyline[i].1 * s + off, k == 0 ? (255, 40, 40) : (40, 220, 40))
                    }
                }
            }
        }
        if plotW > 0 {
            // g(r): axes, the line g = 1 and the curve.
            let ox = 2 * w + 2 * gap, margin = 10
            let rMax = rdf.map(\.0).max() ?? 1, gMax = max(2, (rdf.map(\.1).max() ?? 1) * 1.1)
            func px(_ r: Double, _ g: Double) -> (Double, Double) {
                (Double(ox + margin) + r / rMax * Double(plotW - 2 * margin), Double(h - margin) - g / gMax * Double(h - 2 * margin))
            }
            for y in 0..<h { for x in ox..<(ox + plotW) { canvas.set(x, y, (255, 255, 255)) } }
            let o = px(0, 0), xEnd = px(rMax, 0), yEnd = px(0, gMax), one0 = px(0, 1), one1 = px(rMax, 1)
            canvas.line(o.0, o.1, xEnd.0, xEnd.1, (0, 0, 0))
            canvas.line(o.0, o.1, yEnd.0, yEnd.1, (0, 0, 0))
            canvas.line(one0.0, one0.1, one1.0, one1.1, (160, 160, 160))
            for i in 1..<max(1, rdf.count) {
                let p0 = px(rdf[i - 1].0, rdf[i - 1].1), p1 = px(rdf[i].0, rdf[i].1)
                canvas.line(p0.0, p0.1, p1.0, p1.1, (30, 60, 220))
            }
        }
        return canvas
    }
}
