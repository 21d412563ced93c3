import Foundation
import Kernels
import Shared

/// The stored form of a centreline, `[[x, y], …]` px with 3 decimals, written and read by hand:
/// a 10,000-frame job holds millions of points, and the merge reads them all back.
public enum TEMPointsText {
    public static func render(_ points: [TEMPoint]) -> String {
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
