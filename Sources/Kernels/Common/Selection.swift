/// Order statistics without a full sort.
public enum Selection {
    /// Reorders the `count` values at `a` so that `a[k]` is their k-th smallest (0-based), with no
    /// larger value before it and no smaller after it, and returns it (Hoare's selection, median
    /// of three as the pivot: no quadratic case on sorted input). Expected O(count).
    ///
    /// Specialised for the kernels' element types so a call from another file of a debug build
    /// (no whole-module optimisation) still runs the concrete loop.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @discardableResult
    public static func select<T: Comparable>(_ a: UnsafeMutablePointer<T>, count: Int, _ k: Int) -> T {
        precondition(k >= 0 && k < count, "rank \(k) outside 0..<\(count)")
        var lo = 0, hi = count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
        }
        return a[k]
    }

    /// The same on an array.
    @discardableResult
    public static func select<T: Comparable>(_ v: inout [T], _ k: Int) -> T {
        v.withUnsafeMutableBufferPointer { select($0.baseAddress!, count: $0.count, k) }
    }
}

private extension UnsafeMutablePointer {
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}
