import Foundation
import Kernels
import Shared

/// The stored form of a centreline, `[[x, y], …]` px with 3 decimals, written and read by hand:
/// a 10,000-frame job holds millions of points, and the merge reads them all back.
public enum TEMPointsText {
    /// Written as bytes into one buffer (a 10,000-frame job renders millions of coordinates);
    /// the same text as `referenceRender`.
    public static func render(_ points: [TEMPoint]) -> String {
        // "[" + per point "[x,y]" and a comma + "]"; each coordinate at most a sign, 19 digits, a
        // point and 3 decimals.
        let capacity = 2 + points.count * (2 * 24 + 4)
        return String(unsafeUninitializedCapacity: capacity) { out in
            var k = 0
            out[k] = UInt8(ascii: "["); k += 1
            for (i, p) in points.enumerated() {
                if i > 0 { out[k] = UInt8(ascii: ","); k += 1 }
                out[k] = UInt8(ascii: "["); k += 1
                k = writeDecimal3(p.x, into: out, at: k)
                out[k] = UInt8(ascii: ","); k += 1
                k = writeDecimal3(p.y, into: out, at: k)
                out[k] = UInt8(ascii: "]"); k += 1
            }
            out[k] = UInt8(ascii: "]"); k += 1
            return k
        }
    }

    /// `decimal3(v)`'s bytes written at `k`; returns the index after them.
    @inline(__always)
    static func writeDecimal3(_ v: Double, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var k = start
        guard v.isFinite else { out[k] = UInt8(ascii: "0"); return k + 1 }
        let scaled = Int((abs(v) * 1000).rounded())
        var whole = scaled / 1000
        let frac = scaled % 1000
        if v < 0 && scaled != 0 { out[k] = UInt8(ascii: "-"); k += 1 }
        // The whole part's digits, most significant first.
        var digits = 1, p = 10
        while digits < 19 && whole >= p { digits += 1; p = p &* 10 }
        for d in stride(from: digits - 1, through: 0, by: -1) {
            out[k + d] = UInt8(ascii: "0") + UInt8(whole % 10)
            whole /= 10
        }
        k += digits
        out[k] = UInt8(ascii: ".")
        out[k + 1] = UInt8(ascii: "0") + UInt8(frac / 100)
        out[k + 2] = UInt8(ascii: "0") + UInt8(frac / 10 % 10)
        out[k + 3] = UInt8(ascii: "0") + UInt8(frac % 10)
        return k + 4
    }

    /// The plain twin of `render` (string by string), for tests.
    public static func referenceRender(_ points: [TEMPoint]) -> String {
        var out = "["
        out.reserveCapacity(points.count * 18)
        for (i, p) in points.enumerated() {
            if i > 0 { out += "," }
            out += "[" + decimal3(p.x) + "," + decimal3(p.y) + "]"
        }
        return out + "]"
    }

    /// Fixed 3-decimal text without Foundation formatting (several times faster).
    static func decimal3(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let scaled = Int((abs(v) * 1000).rounded())
        let whole = scaled / 1000, frac = scaled % 1000
        let sign = v < 0 && scaled != 0 ? "-" : ""
        let f = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return "\(sign)\(whole).\(f)"
    }

    /// Parses a JSON array of 2-element number arrays (as PostgreSQL prints jsonb: any spacing).
    public static func parse(_ text: String) throws -> [TEMPoint] {
        var numbers: [Double] = []
        numbers.reserveCapacity(104)
        var depth = 0
        let ok = text.withCString { start -> Bool in
            var p = start
            while p.pointee != 0 {
                switch UInt8(bitPattern: p.pointee) {
                case UInt8(ascii: "["): depth += 1; p += 1
                case UInt8(ascii: "]"): depth -= 1; p += 1
                case UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): p += 1
                default:
                    var end: UnsafeMutablePointer<CChar>?
                    let v = strtod(p, &end)
                    guard let end, end != UnsafeMutablePointer(mutating: p) else { return false }
                    numbers.append(v)
                    p = UnsafePointer(end)
                }
            }
            return true
        }
        guard ok, depth == 0, numbers.count % 2 == 0 else { throw TaskError("malformed point list (not [[x, y], …])") }
        return stride(from: 0, to: numbers.count, by: 2).map { TEMPoint(numbers[$0], numbers[$0 + 1]) }
    }
}
