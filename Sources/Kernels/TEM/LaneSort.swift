/// Eight short lists sorted at once, one per SIMD lane, by a fixed comparator network (Batcher's
/// odd–even merge sort): every comparator is a lane-wise min and max, with no data-dependent
/// branch. For lists of a few dozen values this beats a quickselect per list several times over,
/// whose pivot branches the processor mispredicts about half the time (`FrameDestripe`'s 1,024
/// medians of 64 values per 512² frame). The order statistics are exact: the same values a
/// sort or a quickselect returns.
public enum LaneSort {
    public typealias V = SIMD8<Float>

    /// The largest padded length the network is used for; longer lists cost O(n log² n)
    /// comparators against a quickselect's O(n), so callers select instead.
    public static let maxLength = 256

    /// Batcher's odd–even merge sort for `n` (a power of two) inputs: pairs (i, j), i < j, that
    /// leave the smaller value at i. 543 comparators for n = 64.
    public static func network(_ n: Int) -> [(Int32, Int32)] {
        precondition(n > 0 && n & (n - 1) == 0, "a power of two")
        var out: [(Int32, Int32)] = []
        var p = 1
        while p < n {
            var k = p
            while k >= 1 {
                var j = k % p
                while j <= n - 1 - k {
                    for i in 0...min(k - 1, n - j - k - 1) where (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        out.append((Int32(i + j), Int32(i + j + k)))
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        return out
    }

    /// The power of two ≥ `count`.
    public static func paddedLength(_ count: Int) -> Int {
        var n = 1
        while n < count { n *= 2 }
        return n
    }

    /// Sorts every lane of `lanes[0..<n]` ascending with `network` (from `network(n)`).
    /// Lists shorter than n are padded by the caller with −∞ in front and +∞ behind, which
    /// stay where they are, so rank r of the list is at index (number of −∞) + r.
    @inline(__always)
    public static func sort(_ lanes: UnsafeMutablePointer<V>, network: UnsafeBufferPointer<(Int32, Int32)>) {
        for (i, j) in network {
            let a = lanes[Int(i)], b = lanes[Int(j)]
            let swap = b .< a
            lanes[Int(i)] = a.replacing(with: b, where: swap)
            lanes[Int(j)] = b.replacing(with: a, where: swap)
        }
    }
}
