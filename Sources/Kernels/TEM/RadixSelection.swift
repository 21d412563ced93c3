/// The k-th smallest of non-negative floats by their bits (issue 11 item 5): for floats with the
/// sign bit clear and no NaN, the order of the values is the order of their bit patterns as
/// unsigned integers, so the k-th smallest is found by three counting passes — the top 12 bits,
/// then the next 12 of the values that share the winner's top bits, then the last 8 — with no
/// comparisons against a pivot (the registration's robust scale, `TEMDriftRefinement.robustScale`,
/// takes a median of about 4,000 |residuals| every iteration). The answer is a value of the input,
/// the same one Hoare's selection (`Selection.select`, the twin) returns; inputs with a negative
/// value, a −0 or a NaN go to the twin.
public enum RadixSelection {
    /// The k-th smallest (0-based) of the `count` values at `a`. `a` is scratch afterwards: its values
    /// are overwritten (not merely reordered, as the twin leaves them), so pass a copy.
    public static func select(_ a: UnsafeMutablePointer<Float>, count: Int, _ k: Int) -> Float {
        precondition(k >= 0 && k < count, "rank \(k) outside 0..<\(count)")
        let bits = UnsafeMutableRawPointer(a).assumingMemoryBound(to: UInt32.self)
        // Any negative value, −0 or NaN: bit order is not value order.
        var largest: UInt32 = 0
        for i in 0..<count { largest = max(largest, bits[i]) }
        guard largest <= 0x7F80_0000 else { return Selection.select(a, count: count, k) }
        let histogram = UnsafeMutablePointer<Int32>.allocate(capacity: 4096)
        defer { histogram.deallocate() }
        // Level 1: bits 20–31.
        histogram.initialize(repeating: 0, count: 4096)
        for i in 0..<count { histogram[Int(bits[i] >> 20)] &+= 1 }
        var rank = k
        var top = 0
        while rank >= Int(histogram[top]) { rank -= Int(histogram[top]); top += 1 }
        // The values in that bucket, moved to the front (the order among them does not matter).
        var m = 0
        for i in 0..<count where Int(bits[i] >> 20) == top {
            bits[m] = bits[i]
            m += 1
        }
        // Level 2: bits 8–19 of those.
        histogram.update(repeating: 0, count: 4096)
        for i in 0..<m { histogram[Int((bits[i] >> 8) & 0xFFF)] &+= 1 }
        var mid = 0
        while rank >= Int(histogram[mid]) { rank -= Int(histogram[mid]); mid += 1 }
        let prefix = UInt32(top) << 20 | UInt32(mid) << 8
        // Level 3: bits 0–7 of the values with the winner's 24 top bits.
        histogram.update(repeating: 0, count: 256)
        for i in 0..<m where bits[i] & 0xFFFF_FF00 == prefix { histogram[Int(bits[i] & 0xFF)] &+= 1 }
        var low = 0
        while rank >= Int(histogram[low]) { rank -= Int(histogram[low]); low += 1 }
        return Float(bitPattern: prefix | UInt32(low))
    }
}
