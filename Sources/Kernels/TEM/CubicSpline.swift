#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A natural cubic spline y(x) through knots with increasing x (second derivative zero at both
/// ends): the generator's dislocation shape, as in the paper's "cubic spline through support points".
public struct CubicSpline: Sendable {
    public let xs: [Double]
    public let ys: [Double]
    private let m: [Double] // second derivatives at the knots

    public init(xs: [Double], ys: [Double]) {
        precondition(xs.count == ys.count && xs.count >= 2, "need at least two knots")
        self.xs = xs
        self.ys = ys
        let n = xs.count
        var m = [Double](repeating: 0, count: n)
        if n > 2 {
            // Tridiagonal system for the interior second derivatives (Thomas algorithm).
            var c = [Double](repeating: 0, count: n), d = [Double](repeating: 0, count: n)
            for i in 1..<(n - 1) {
                let h0 = xs[i] - xs[i - 1], h1 = xs[i + 1] - xs[i]
                let a = h0 / 6, b = (h0 + h1) / 3, cc = h1 / 6
                let r = (ys[i + 1] - ys[i]) / h1 - (ys[i] - ys[i - 1]) / h0
                let denom = b - a * c[i - 1]
                c[i] = cc / denom
                d[i] = (r - a * d[i - 1]) / denom
            }
            for i in stride(from: n - 2, through: 1, by: -1) { m[i] = d[i] - c[i] * m[i + 1] }
        }
        self.m = m
    }

    /// The spline's value at `x` (linear extrapolation of the end cubic outside the knots).
    public func callAsFunction(_ x: Double) -> Double {
        let n = xs.count
        var i = 0
        while i < n - 2 && x > xs[i + 1] { i += 1 }
        let h = xs[i + 1] - xs[i]
        let a = (xs[i + 1] - x) / h, b = (x - xs[i]) / h
        return a * ys[i] + b * ys[i + 1] + ((a * a * a - a) * m[i] + (b * b * b - b) * m[i + 1]) * h * h / 6
    }
}
