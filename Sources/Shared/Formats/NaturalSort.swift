/// Orders file names the way people number them: `f2.png` before `f10.png`.
///
/// Names are compared as runs of ASCII digits (by numeric value, any length, no overflow) and
/// runs of other characters (ASCII case-insensitively, then by UTF-8 bytes). Ties such as
/// `f01` vs `f1` are broken by fewer leading zeros first and finally by plain byte order, so
/// the order is total and deterministic, independent of locale — frame indices must not
/// change between machines.
public enum NaturalSort {
    /// `true` when `a` sorts strictly before `b`; usable as `names.sorted(by: NaturalSort.areInIncreasingOrder)`.
    public static func areInIncreasingOrder(_ a: String, _ b: String) -> Bool {
        compare(a, b) < 0
    }

    /// Three-way comparison: negative if `a` sorts first, zero if equal, positive otherwise.
    public static func compare(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        var zeroTieBreak = 0
        var caseTieBreak = 0
        while i < x.count && j < y.count {
            if isDigit(x[i]) && isDigit(y[j]) {
                let (si, ei) = digitRun(x, from: i)
                let (sj, ej) = digitRun(y, from: j)
                // Compare significant digits: longer run is bigger, else lexicographic.
                let lenX = ei - si, lenY = ej - sj
                if lenX != lenY { return lenX < lenY ? -1 : 1 }
                for k in 0..<lenX where x[si + k] != y[sj + k] {
                    return x[si + k] < y[sj + k] ? -1 : 1
                }
                if zeroTieBreak == 0 && (si - i) != (sj - j) {
                    zeroTieBreak = (si - i) < (sj - j) ? -1 : 1
                }
                i = ei
                j = ej
            } else {
                let cx = lower(x[i]), cy = lower(y[j])
                if cx != cy { return cx < cy ? -1 : 1 }
                if caseTieBreak == 0 && x[i] != y[j] { caseTieBreak = x[i] < y[j] ? -1 : 1 }
                i += 1
                j += 1
            }
        }
        let restX = x.count - i, restY = y.count - j
        if restX != restY { return restX < restY ? -1 : 1 }
        if zeroTieBreak != 0 { return zeroTieBreak }
        if caseTieBreak != 0 { return caseTieBreak }
        return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 0x20 : c }

    /// The run of digits starting at `start`: (first significant digit, end of run).
    /// An all-zero run keeps its last zero as the significant digit.
    private static func digitRun(_ s: [UInt8], from start: Int) -> (Int, Int) {
        var end = start
        while end < s.count && isDigit(s[end]) { end += 1 }
        var significant = start
        while significant < end - 1 && s[significant] == 0x30 { significant += 1 }
        return (significant, end)
    }
}

extension Sequence where Element == String {
    /// The names in natural order (see ``NaturalSort``).
    public func naturallySorted() -> [String] {
        sorted(by: NaturalSort.areInIncreasingOrder)
    }
}
