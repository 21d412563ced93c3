/// Zhang–Suen thinning of a 0/1 mask to one-pixel, 8-connected centrelines. Works on the list
/// of foreground pixels only, so its cost follows the number of line pixels, not the frame.
/// Border pixels (row/column 0 and last) must be 0.
public enum Thinning {
    /// Thins `mask` in place. `pixels`, when given, lists its foreground pixels (saves a scan);
    /// returns the foreground pixels left.
    @discardableResult
    public static func zhangSuen(_ mask: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, pixels known: [Int]? = nil) -> [Int] {
        let pixels: [Int] = known ?? (0..<(width * height)).filter { mask[$0] != 0 }
        // Only pixels next to a deleted one can change status, so after the first iteration the
        // sweep covers just those.
        var active = pixels
        var remove: [Int] = []
        var removedThisIteration: [Int] = []
        let ring = [-width - 1, -width, -width + 1, -1, 1, width - 1, width, width + 1]
        while !active.isEmpty {
            removedThisIteration.removeAll(keepingCapacity: true)
            for pass in 0..<2 {
                remove.removeAll(keepingCapacity: true)
                for p in active where mask[p] != 0 {
                    // Neighbours P2..P9 clockwise from north, as bits 0..7.
                    let n0 = mask[p - width], n1 = mask[p - width + 1], n2 = mask[p + 1], n3 = mask[p + width + 1]
                    let n4 = mask[p + width], n5 = mask[p + width - 1], n6 = mask[p - 1], n7 = mask[p - width - 1]
                    // Split: one long expression is too much for the type checker once the module imports Foundation.
                    let low: Int = Int(n0) | Int(n1) << 1 | Int(n2) << 2 | Int(n3) << 3
                    let high: Int = Int(n4) << 4 | Int(n5) << 5 | Int(n6) << 6 | Int(n7) << 7
                    let bits = low | high
                    let b = bits.nonzeroBitCount
                    guard b >= 2 && b <= 6 else { continue }
                    // A = number of 0→1 transitions around the ring.
                    let rotated = (bits >> 1) | ((bits & 1) << 7)
                    guard (~bits & rotated & 0xFF).nonzeroBitCount == 1 else { continue }
                    if pass == 0 {
                        if n0 & n2 & n4 != 0 || n2 & n4 & n6 != 0 { continue }
                    } else {
                        if n0 & n2 & n6 != 0 || n0 & n4 & n6 != 0 { continue }
                    }
                    remove.append(p)
                }
                for p in remove { mask[p] = 0 }
                removedThisIteration.append(contentsOf: remove)
            }
            var next: [Int] = []
            for p in removedThisIteration { for o in ring where mask[p + o] != 0 { next.append(p + o) } }
            next.sort()
            active = next.isEmpty ? [] : zip(next.indices, next).filter { $0.0 == 0 || next[$0.0 - 1] != $0.1 }.map { $0.1 }
        }
        return pixels.filter { mask[$0] != 0 }
    }
}
