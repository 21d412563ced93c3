#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A row-major single-channel float image (a virtual image or a rectified view).
public struct STEM4DImage: Sendable, Hashable {
    /// Rows (y) and columns (x).
    public var rows: Int
    public var cols: Int
    /// Row-major values.
    public var pixels: [Float]

    /// An image of `rows` × `cols` pixels (`pixels.count` must match).
    public init(rows: Int, cols: Int, pixels: [Float]) {
        precondition(pixels.count == rows * cols, "image of \(rows)×\(cols) needs \(rows * cols) pixels, got \(pixels.count)")
        self.rows = rows; self.cols = cols; self.pixels = pixels
    }

    /// Pixel (x, y), clamped to the border.
    @inlinable public subscript(x: Int, y: Int) -> Float {
        pixels[min(max(y, 0), rows - 1) * cols + min(max(x, 0), cols - 1)]
    }

    /// Bilinear sample at (x, y), clamped to the border.
    public func sample(_ x: Double, _ y: Double) -> Float {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = Float(x - Double(x0)), fy = Float(y - Double(y0))
        let a = self[x0, y0] * (1 - fx) + self[x0 + 1, y0] * fx
        let b = self[x0, y0 + 1] * (1 - fx) + self[x0 + 1, y0 + 1] * fx
        return a * (1 - fy) + b * fy
    }

    /// Separable Gaussian blur (σ in px, kernel ±3σ, border clamped).
    public func gaussianBlurred(sigma: Double) -> STEM4DImage {
        guard sigma > 0 else { return self }
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        var tmp = [Float](repeating: 0, count: pixels.count)
        for y in 0..<rows {
            for x in 0..<cols {
                var acc: Float = 0
                for j in -r...r { acc += k[j + r] * pixels[y * cols + min(max(x + j, 0), cols - 1)] }
                tmp[y * cols + x] = acc
            }
        }
        var out = [Float](repeating: 0, count: pixels.count)
        for y in 0..<rows {
            for x in 0..<cols {
                var acc: Float = 0
                for j in -r...r { acc += k[j + r] * tmp[min(max(y + j, 0), rows - 1) * cols + x] }
                out[y * cols + x] = acc
            }
        }
        return STEM4DImage(rows: rows, cols: cols, pixels: out)
    }
}
