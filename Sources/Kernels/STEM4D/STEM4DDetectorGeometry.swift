#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A virtual detector described in detector pixels: origin at the centre of pixel (0, 0),
/// x along det_x (columns), y along det_y (rows). Angles are in degrees from +x towards +y.
///
/// Encodes to the INTERFACE.md JSON, e.g. `{"shape":"circle","cx":31.5,"cy":30.2,"r":4}`.
/// A pixel belongs to a circle when its centre lies at distance ≤ r from (cx, cy); to an
/// annulus when r_inner < distance ≤ r_outer (so a circle and the annulus around it
/// partition the disk); to a sector when it is in the annulus and its azimuth is in
/// [start_deg, end_deg).
public enum STEM4DDetectorGeometry: Sendable, Hashable, Codable {
    /// A disk of radius `r` centred at (`cx`, `cy`).
    case circle(cx: Double, cy: Double, r: Double)
    /// A ring between `rInner` (exclusive) and `rOuter` (inclusive).
    case annulus(cx: Double, cy: Double, rInner: Double, rOuter: Double)
    /// A ring sector (a segment of a segmented detector); `startDeg..<endDeg`, wrapping allowed.
    case sector(cx: Double, cy: Double, rInner: Double, rOuter: Double, startDeg: Double, endDeg: Double)
    /// An arbitrary mask of per-pixel weights, row-major `rows × cols`.
    case mask(rows: Int, cols: Int, weights: [Float])

    private enum CodingKeys: String, CodingKey {
        case shape, cx, cy, r, rInner = "r_inner", rOuter = "r_outer"
        case startDeg = "start_deg", endDeg = "end_deg", rows, cols, weights
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .circle(let cx, let cy, let r):
            try c.encode("circle", forKey: .shape)
            try c.encode(cx, forKey: .cx); try c.encode(cy, forKey: .cy); try c.encode(r, forKey: .r)
        case .annulus(let cx, let cy, let ri, let ro):
            try c.encode("annulus", forKey: .shape)
            try c.encode(cx, forKey: .cx); try c.encode(cy, forKey: .cy)
            try c.encode(ri, forKey: .rInner); try c.encode(ro, forKey: .rOuter)
        case .sector(let cx, let cy, let ri, let ro, let a0, let a1):
            try c.encode("sector", forKey: .shape)
            try c.encode(cx, forKey: .cx); try c.encode(cy, forKey: .cy)
            try c.encode(ri, forKey: .rInner); try c.encode(ro, forKey: .rOuter)
            try c.encode(a0, forKey: .startDeg); try c.encode(a1, forKey: .endDeg)
        case .mask(let rows, let cols, let w):
            try c.encode("mask", forKey: .shape)
            try c.encode(rows, forKey: .rows); try c.encode(cols, forKey: .cols); try c.encode(w, forKey: .weights)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let shape = try c.decode(String.self, forKey: .shape)
        switch shape {
        case "circle":
            self = .circle(cx: try c.decode(Double.self, forKey: .cx), cy: try c.decode(Double.self, forKey: .cy),
                           r: try c.decode(Double.self, forKey: .r))
        case "annulus":
            self = .annulus(cx: try c.decode(Double.self, forKey: .cx), cy: try c.decode(Double.self, forKey: .cy),
                            rInner: try c.decode(Double.self, forKey: .rInner), rOuter: try c.decode(Double.self, forKey: .rOuter))
        case "sector":
            self = .sector(cx: try c.decode(Double.self, forKey: .cx), cy: try c.decode(Double.self, forKey: .cy),
                           rInner: try c.decode(Double.self, forKey: .rInner), rOuter: try c.decode(Double.self, forKey: .rOuter),
                           startDeg: try c.decode(Double.self, forKey: .startDeg), endDeg: try c.decode(Double.self, forKey: .endDeg))
        case "mask":
            self = .mask(rows: try c.decode(Int.self, forKey: .rows), cols: try c.decode(Int.self, forKey: .cols),
                         weights: try c.decode([Float].self, forKey: .weights))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .shape, in: c,
                debugDescription: "unknown detector shape \"\(shape)\" (expected circle, annulus, sector or mask)")
        }
    }

    /// The JSON text for the `stem4d_virtual_images.detector` column (keys sorted; integral
    /// values without a fraction, e.g. `"r":4`). Written by hand so the kernels need no
    /// Foundation; it decodes with `JSONDecoder` into the same value.
    public func jsonString() -> String {
        func num(_ v: Double) -> String {
            guard v.isFinite else { return "null" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return "\(v)"
        }
        func obj(_ fields: [(String, String)]) -> String {
            "{" + fields.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        }
        switch self {
        case .circle(let cx, let cy, let r):
            return obj([("shape", "\"circle\""), ("cx", num(cx)), ("cy", num(cy)), ("r", num(r))])
        case .annulus(let cx, let cy, let ri, let ro):
            return obj([("shape", "\"annulus\""), ("cx", num(cx)), ("cy", num(cy)), ("r_inner", num(ri)), ("r_outer", num(ro))])
        case .sector(let cx, let cy, let ri, let ro, let a0, let a1):
            return obj([("shape", "\"sector\""), ("cx", num(cx)), ("cy", num(cy)), ("r_inner", num(ri)), ("r_outer", num(ro)),
                        ("start_deg", num(a0)), ("end_deg", num(a1))])
        case .mask(let rows, let cols, let w):
            let ws = "[" + w.map { num(Double($0)) }.joined(separator: ",") + "]"
            return obj([("shape", "\"mask\""), ("rows", String(rows)), ("cols", String(cols)), ("weights", ws)])
        }
    }

    /// The weight of the pixel whose centre is at (`x`, `y`) (0 or 1 for geometric shapes).
    public func weight(x: Int, y: Int) -> Float {
        switch self {
        case .circle(let cx, let cy, let r):
            let dx = Double(x) - cx, dy = Double(y) - cy
            return dx * dx + dy * dy <= r * r ? 1 : 0
        case .annulus(let cx, let cy, let ri, let ro):
            let dx = Double(x) - cx, dy = Double(y) - cy
            let d2 = dx * dx + dy * dy
            return (ri < 0 || d2 > ri * ri) && d2 <= ro * ro ? 1 : 0
        case .sector(let cx, let cy, let ri, let ro, let a0, let a1):
            let dx = Double(x) - cx, dy = Double(y) - cy
            let d2 = dx * dx + dy * dy
            guard (ri < 0 || d2 > ri * ri) && d2 <= ro * ro else { return 0 }
            let span = a1 - a0
            if span >= 360 { return 1 }
            if span <= 0 { return 0 }
            let a = atan2(dy, dx) * 180 / .pi
            return Self.normalisedDegrees(a - a0) < span ? 1 : 0
        case .mask(let rows, let cols, let w):
            guard y >= 0, y < rows, x >= 0, x < cols else { return 0 }
            return w[y * cols + x]
        }
    }

    /// Rasterises the detector onto a `shape` frame: row-major weights.
    public func rasterise(_ shape: STEM4DDetectorShape) -> [Float] {
        if case .mask(let rows, let cols, let w) = self, rows == shape.rows, cols == shape.cols { return w }
        var out = [Float](repeating: 0, count: shape.pixels)
        for y in 0..<shape.rows {
            for x in 0..<shape.cols { out[y * shape.cols + x] = weight(x: x, y: y) }
        }
        return out
    }

    static func normalisedDegrees(_ a: Double) -> Double {
        var r = a.truncatingRemainder(dividingBy: 360)
        if r < 0 { r += 360 }
        return r
    }
}
