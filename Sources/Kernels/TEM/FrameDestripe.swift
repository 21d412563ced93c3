/// Removes camera readout stripes: offsets shared by a whole row (or column) of a frame. A
/// stripe is a perfectly straight line across the field, so the ridge filter would trace it as
/// a dislocation.
///
/// Each row's offset is the median, over its pixels (every `sampleStride`-th), of the pixel minus
/// the mean of its column over the `halfWindow` rows either side: the specimen's mottle, bend
/// contours and gradients vary smoothly across rows and cancel, so the values are narrow (noise)
/// and a line of the specimen, covering only part of the row, is an outlier the median ignores.
/// The offsets are then shrunk towards 0 by the share of their variance that the spread of those
/// values alone would give a median of that many samples ((π/2)·σ²/m), so a frame without
/// stripes is left almost as it was rather than given row-correlated noise. Columns the same
/// way, after the rows.
public enum FrameDestripe {
    /// Every k-th pixel of a row or column enters its median (the medians are most of the
    /// cost: with 8, and eight lines sorted at once by `LaneSort`, ≈ 0.3 ms per 512² frame).
    public static let sampleStride = 8
    /// Rows (columns) either side whose mean is the local level.
    public static let halfWindow = 8

    /// Writes `src` minus its row and column offsets into `dst` (may not alias `src`). Returns
    /// false, leaving `dst` unwritten, when every offset is 0 (shrunk away: no stripes beyond
    /// what the frame's noise explains), so the caller can read `src` itself.
    @discardableResult
    public static func apply(_ src: UnsafeBufferPointer<Float>, width w: Int, height h: Int,
                             into dst: UnsafeMutableBufferPointer<Float>) -> Bool {
        let n = w * h
        precondition(src.count >= n && dst.count >= n)
        guard n > 0 else { return false }
        let s = src.baseAddress!, d = dst.baseAddress!
        let rows = offsets(s, count: h, length: w, along: 1, across: w)
        // Columns on a transposed copy of every `sampleStride`-th row, row offsets removed: each
        // column's samples are then contiguous, and neither pass writes the whole frame.
        let sampledRows = (h + sampleStride - 1) / sampleStride
        var columns = [Float](repeating: 0, count: sampledRows * w)
        columns.withUnsafeMutableBufferPointer { c in
            let t = c.baseAddress!
            for j in 0..<sampledRows {
                let y = j * sampleStride, row = s + y * w, o = rows[y]
                for x in 0..<w { t[x * sampledRows + j] = row[x] - o }
            }
        }
        let cols = columns.withUnsafeBufferPointer {
            offsets($0.baseAddress!, count: w, length: sampledRows, along: 1, across: sampledRows, stride: 1)
        }
        guard rows.contains(where: { $0 != 0 }) || cols.contains(where: { $0 != 0 }) else { return false }
        // Rows and columns in one pass over the frame: (pixel − row) − column.
        typealias V = SIMD8<Float>
        cols.withUnsafeBufferPointer { c in
            let cp = c.baseAddress!
            for y in 0..<h {
                let o = V(repeating: rows[y]), inRow = s + y * w, outRow = d + y * w
                var x = 0
                while x + 8 <= w {
                    let v = (UnsafeRawPointer(inRow + x).loadUnaligned(as: V.self) - o) - UnsafeRawPointer(cp + x).loadUnaligned(as: V.self)
                    UnsafeMutableRawPointer(outRow + x).storeBytes(of: v, as: V.self)
                    x += 8
                }
                while x < w { outRow[x] = (inRow[x] - rows[y]) - cp[x]; x += 1 }
            }
        }
        return true
    }

    /// Shrunk offsets of `count` lines of `length` pixels: line k starts at k·`across`, its
    /// pixels are `along` apart, every `stride`-th of them is sampled.
    static func offsets(_ p: UnsafePointer<Float>, count: Int, length: Int, along: Int, across: Int,
                        stride sampleStride: Int = Self.sampleStride) -> [Float] {
        let m = max(1, (length + sampleStride - 1) / sampleStride)
        // Plain pointers, not captured arrays: the hot loops then carry no exclusivity checks.
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: m)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: m)
        defer { sums.deallocate(); v.deallocate() }
        sums.initialize(repeating: 0, count: m)
        var lo = 0, hi = -1
        var spread = [Float](repeating: 0, count: ((count + 15) / 16) * m)
        var out = [Float](repeating: 0, count: count)
        let step = sampleStride * along
        // The medians: eight lines at a time through a sorting network, one line per SIMD lane
        // (`LaneSort`: no mispredicted pivot branches), or a quickselect per line when the
        // lines are too long for the network. The same exact medians either way.
        let padded = LaneSort.paddedLength(m)
        let useNetwork = padded <= LaneSort.maxLength
        let network = useNetwork ? LaneSort.network(padded) : []
        let front = (padded - m) / 2 // −∞ pads before the values, +∞ after them
        let lanes = UnsafeMutablePointer<LaneSort.V>.allocate(capacity: useNetwork ? padded : 0)
        defer { lanes.deallocate() }
        if useNetwork {
            lanes.initialize(repeating: LaneSort.V(repeating: -.infinity), count: front)
            (lanes + front).initialize(repeating: LaneSort.V(), count: m)
            (lanes + front + m).initialize(repeating: LaneSort.V(repeating: .infinity), count: padded - front - m)
        }
        let laneValues = UnsafeMutableRawPointer(lanes).assumingMemoryBound(to: Float.self)
        spread.withUnsafeMutableBufferPointer { sp in out.withUnsafeMutableBufferPointer { o in network.withUnsafeBufferPointer { net in
            var filled = 0
            /// Median of line k from its values `v` (reordered), and its share of the spread.
            func finish(_ k: Int, _ v: UnsafeMutablePointer<Float>, sorted: Bool) {
                let median = sorted ? v[m / 2] : Selection.select(v, count: m, m / 2)
                o[k] = median
                // The values' spread about their own line's median (stripes excluded), every 16th line.
                if k % 16 == 0 {
                    for j in 0..<m { sp[filled + j] = v[j] - median }
                    filled += m
                }
            }
            for k in 0..<count {
                while hi < min(count - 1, k + halfWindow) {
                    hi += 1
                    let line = p + hi * across
                    for j in 0..<m { sums[j] += Double(line[j * step]) }
                }
                while lo < max(0, k - halfWindow) {
                    let line = p + lo * across
                    for j in 0..<m { sums[j] -= Double(line[j * step]) }
                    lo += 1
                }
                let inv = 1 / Double(hi - lo + 1), line = p + k * across
                guard useNetwork else {
                    for j in 0..<m { v[j] = line[j * step] - Float(sums[j] * inv) }
                    finish(k, v, sorted: false)
                    continue
                }
                // Line k's values into lane k % 8; a full batch (or the last line) is sorted.
                let lane = k & 7
                for j in 0..<m { laneValues[(front + j) * 8 + lane] = line[j * step] - Float(sums[j] * inv) }
                guard lane == 7 || k == count - 1 else { continue }
                LaneSort.sort(lanes, network: net)
                for l in 0...lane {
                    let line = k - lane + l
                    guard line % 16 == 0 else { o[line] = laneValues[(front + m / 2) * 8 + l]; continue }
                    for j in 0..<m { v[j] = laneValues[(front + j) * 8 + l] }
                    finish(line, v, sorted: true)
                }
            }
        } } }
        let sigma = spread.isEmpty ? 0 : robustSigma(&spread)
        let expected = Double.pi / 2 * sigma * sigma / Double(m)
        let measured = out.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, count))
        let shrink = Float(measured > 0 ? max(0, 1 - expected / measured) : 0)
        return out.map { $0 * shrink }
    }

    /// 1.4826 × median |v − median| (reorders `v`).
    static func robustSigma(_ v: inout [Float]) -> Double {
        v.withUnsafeMutableBufferPointer { b in
            let c = Selection.select(b.baseAddress!, count: b.count, b.count / 2)
            for i in b.indices { b[i] = abs(b[i] - c) }
            return 1.4826 * Double(Selection.select(b.baseAddress!, count: b.count, b.count / 2))
        }
    }

    /// Plain twin for tests: the same definition with whole arrays, sorting and Double arithmetic.
    public static func reference(_ src: [Float], width w: Int, height h: Int) -> [Float] {
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        func lineOffsets(_ get: (Int, Int) -> Double, count: Int, length: Int) -> [Double] {
            let samples = Swift.stride(from: 0, to: length, by: sampleStride).map { $0 }
            var raw: [Double] = [], spread: [Double] = []
            for k in 0..<count {
                let window = max(0, k - halfWindow)...min(count - 1, k + halfWindow)
                let values = samples.map { j in get(k, j) - window.map { get($0, j) }.reduce(0, +) / Double(window.count) }
                let mk = median(values)
                raw.append(mk)
                if k % 16 == 0 { spread += values.map { $0 - mk } }
            }
            let c = median(spread)
            let sigma = 1.4826 * median(spread.map { abs($0 - c) })
            let expected = Double.pi / 2 * sigma * sigma / Double(samples.count)
            let measured = raw.map { $0 * $0 }.reduce(0, +) / Double(max(1, count))
            let shrink = measured > 0 ? max(0, 1 - expected / measured) : 0
            return raw.map { $0 * shrink }
        }
        var img = src.map(Double.init)
        let rows = lineOffsets({ k, j in img[k * w + j] }, count: h, length: w)
        for y in 0..<h { for x in 0..<w { img[y * w + x] -= rows[y] } }
        let cols = lineOffsets({ k, j in img[j * w + k] }, count: w, length: h)
        for y in 0..<h { for x in 0..<w { img[y * w + x] -= cols[x] } }
        return img.map { Float($0) }
    }
}
