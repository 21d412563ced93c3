#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Extra hysteresis seeds kept only where the line persists (`TEMDetectorConfig.seedPersistence`):
/// a group of ridge pixels seeded by the along-line average alone is kept when its pixels lie, far
/// more often than chance allows, where the previous frame's averaged map was also above its own
/// level. Lines glide a few pixels between frames and keep their place otherwise; noise does not
/// come back at the same place.
///
/// Everything is measured on the two frames: the shift between them (the stage drift) as the peak
/// of the sparse correlation of their level sets; how far the level set's pixels lie from the
/// previous frame's after that shift (its 90th percentile: glide and drift scatter) as the reach;
/// and the share `q` of the frame that lies within the reach of the previous level set, which is
/// the chance that a pixel of noise "persists". A group of `N` pixels, `k` of them persisting, is
/// kept when P(Binomial(N, q) ≥ k) ≤ `alpha` — a wide reach or a crowded previous frame raises
/// `q`, and the test asks more of the group, so no distance is set by hand.
public struct SeedPersistence: Sendable {
    /// Half-width (px) of the shift search: larger than any frame-to-frame drift of the videos.
    public var window: Int
    /// False-alarm rate per tested group.
    public var alpha: Double
    /// The last test's shift (previous → current frame, px), reach (px) and chance share `q`.
    public private(set) var lastShift = (dx: 0, dy: 0)
    public private(set) var lastReach = 0
    public private(set) var lastShare = 0.0
    /// The previous frame's level set as a summed-area table ((w + 1) × (h + 1), row 0 and
    /// column 0 zero): any box's count in four reads, so the shift search, the reach and the
    /// test need no dilated copies of the frame.
    private var previous: [Int32] = []
    /// The previous level set widened by 1 px, on a frame with a border of `window` + 2 px
    /// ((w + 2b) × (h + 2b)): what the shift search asks 177 × 512 times, in one read instead of
    /// a box count, and with no bounds to check (every shifted point lands inside).
    private var previousNear: [UInt8] = []
    private var previousBorder = 0
    private var previousSize = (width: 0, height: 0)
    private var previousPolarity: Bool?

    public init(window: Int = 12, alpha: Double = 0.01) {
        self.window = window
        self.alpha = alpha
    }

    /// Forgets the previous frame (the next frame keeps no extra seed).
    public mutating func reset() {
        previous = []
        previousPolarity = nil
    }

    /// Marks kept (2) the groups of `mask`'s candidates (1) reached from the `extra` seeds that
    /// persist, and remembers `level` (the current frame's candidates whose averaged response is
    /// at its level) for the next frame. Without a previous frame of the same size and polarity
    /// no group is kept. Groups that are not kept are left marked 4 (not candidates any more).
    /// Returns the number of groups kept.
    @discardableResult
    public mutating func markPersistent(extra: [Int], level: [Int], mask: UnsafeMutableBufferPointer<UInt8>,
                                        width w: Int, height h: Int, bright: Bool) -> Int {
        let n = w * h
        precondition(mask.count >= n)
        defer { remember(level, width: w, height: h, bright: bright) }
        guard previousPolarity == bright, previousSize == (w, h), !previous.isEmpty, !extra.isEmpty, !level.isEmpty else { return 0 }
        // (The bitmap's border was set by `window` when the previous frame was remembered.)
        let wnd = min(window, previousBorder - 2)
        // Points for the shift and the reach: the level set, thinned evenly to at most 512.
        let stepPoints = max(1, level.count / 512)
        let points = Swift.stride(from: 0, to: level.count, by: stepPoints).map { level[$0] }
        let xs = points.map { $0 % w }, ys = points.map { $0 / w }
        var kept = 0
        previous.withUnsafeBufferPointer { sat in
            let stride = w + 1
            /// Previous level pixels in the box of radius r around (x, y), clipped to the frame.
            @inline(__always) func count(_ x: Int, _ y: Int, _ r: Int) -> Int32 {
                let x0 = max(0, x - r), x1 = min(w - 1, x + r), y0 = max(0, y - r), y1 = min(h - 1, y + r)
                guard x0 <= x1, y0 <= y1 else { return 0 }
                return sat[(y1 + 1) * stride + x1 + 1] - sat[y0 * stride + x1 + 1] - sat[(y1 + 1) * stride + x0] + sat[y0 * stride + x0]
            }
            // Shift: the peak of the count of points with a previous level pixel within 1 px (ridge
            // pixels move by fractions of a pixel), on a grid of step 2 (the 1-px box covers the
            // shifts between), then refined by ±1.
            var best = (count: -1, dx: 0, dy: 0)
            let border = previousBorder, bw = w + 2 * border
            // Each point's place in the bordered bitmap; a shift is one offset added to all.
            let offsets = points.map { Int32(($0 / w + border) * bw + $0 % w + border) }
            previousNear.withUnsafeBufferPointer { near in offsets.withUnsafeBufferPointer { off in
                let base = near.baseAddress!, o = off.baseAddress!, m = off.count
                // count(x, y, 1) > 0 for x in −1…w, y in −1…h (the bitmap's 1-px ring); none beyond.
                func score(_ dx: Int, _ dy: Int) {
                    precondition(abs(dx) < border && abs(dy) < border)
                    let q = base - (dy * bw + dx)
                    var c = 0
                    for k in 0..<m { c &+= Int(q[Int(o[k])]) }
                    if c > best.count || (c == best.count && abs(dx) + abs(dy) < abs(best.dx) + abs(best.dy)) { best = (c, dx, dy) }
                }
                for dy in Swift.stride(from: -wnd, through: wnd, by: 2) { for dx in Swift.stride(from: -wnd, through: wnd, by: 2) { score(dx, dy) } }
                let coarse = best
                for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 { score(coarse.dx + dx, coarse.dy + dy) } }
            } }
            let (sx, sy) = (best.dx, best.dy)
            // Reach: the 90th percentile of the points' Chebyshev distance to the previous level
            // set after the shift (the smallest box holding one; points with none within the
            // window left out).
            var distances: [Int] = []
            for k in points.indices {
                let x = xs[k] - sx, y = ys[k] - sy
                guard count(x, y, wnd) > 0 else { continue }
                var lo = 0, hi = wnd
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if count(x, y, mid) > 0 { hi = mid } else { lo = mid + 1 }
                }
                distances.append(lo)
            }
            distances.sort()
            let reach = distances.isEmpty ? wnd : max(1, distances[min(distances.count - 1, (9 * distances.count) / 10)])
            // q: the share of the frame within the reach of the previous level set, on the
            // pixels `RidgeThreshold.robustStats` samples.
            var covered = 0, sampled = 0
            var i = 0
            while i < n {
                if count(i % w, i / w, reach) > 0 { covered += 1 }
                sampled += 1
                i += 29
            }
            let q = Double(covered) / Double(max(1, sampled))
            lastShift = (sx, sy); lastReach = reach; lastShare = q
            // Each extra seed's group: flooded (1 → 3), counted, then marked kept (2) or refused (4).
            var stack: [Int] = [], group: [Int] = []
            let nb = [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1]
            for s in extra where mask[s] == 1 {
                group.removeAll(keepingCapacity: true)
                mask[s] = 3; stack.append(s)
                while let p = stack.popLast() {
                    group.append(p)
                    for o in nb {
                        let r = p + o
                        if r >= 0, r < n, mask[r] == 1 { mask[r] = 3; stack.append(r) }
                    }
                }
                var hits = 0
                for p in group where count(p % w - sx, p / w - sy, reach) > 0 { hits += 1 }
                let keep = Self.binomialTail(hits, of: group.count, p: q) <= alpha
                for p in group { mask[p] = keep ? 2 : 4 }
                if keep { kept += 1 }
            }
        }
        return kept
    }

    /// The summed-area table of `level` becomes the previous frame.
    private mutating func remember(_ level: [Int], width w: Int, height h: Int, bright: Bool) {
        let size = (w + 1) * (h + 1)
        if previous.count != size { previous = [Int32](repeating: 0, count: size) }
        previous.withUnsafeMutableBufferPointer { sat in
            sat.update(repeating: 0)
            let stride = w + 1, p = sat.baseAddress!
            for i in level { p[(i / w + 1) * stride + i % w + 1] = 1 }
            // Row prefix sums, then each row plus the one above (counts ≤ w·h: no overflow).
            for y in 1...h {
                let row = p + y * stride, above = row - stride
                var acc: Int32 = 0
                for x in 1...w { acc &+= row[x]; row[x] = acc &+ above[x] }
            }
        }
        // The shift search reaches `window` + 1 px (the coarse grid's last step and its
        // refinement) beyond the 1-px ring: a border of `window` + 2 keeps every read inside.
        let border = window + 2, bw = w + 2 * border
        let nearSize = bw * (h + 2 * border)
        if previousNear.count != nearSize { previousNear = [UInt8](repeating: 0, count: nearSize) }
        previousNear.withUnsafeMutableBufferPointer { near in
            near.update(repeating: 0)
            let p = near.baseAddress!
            for i in level {
                let c = p + (i / w + border) * bw + i % w + border
                for dy in -1...1 { let r = c + dy * bw; r[-1] = 1; r[0] = 1; r[1] = 1 }
            }
        }
        previousBorder = border
        previousSize = (w, h)
        previousPolarity = bright
    }

    /// P(X ≥ k) for X ~ Binomial(n, p), summed in log space.
    public static func binomialTail(_ k: Int, of n: Int, p: Double) -> Double {
        guard k > 0 else { return 1 }
        guard k <= n, p > 0 else { return 0 }
        guard p < 1 else { return 1 }
        let lp = log(p), lq = log1p(-p)
        var total = 0.0
        for j in k...n {
            total += exp(lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1)) + Double(j) * lp + Double(n - j) * lq)
        }
        return min(1, total)
    }
}
