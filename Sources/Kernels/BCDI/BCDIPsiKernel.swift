/// The fast Ψα min-max kernel (same result, bit for bit, as `BCDIPsiReference`).
///
/// Ψ = min(θₙ − θ₁, 2π − largest interior gap) of the sorted wrapped neighbour phases. Most
/// voxels of a real crystal have smooth phase, and two exact shortcuts cover them using only
/// box minima/maxima, which are separable and vectorise across x:
/// 1. all phases within an arc < π not crossing 0: Ψ = max − min (every 2π − gap is larger);
/// 2. phases in [0, 1.5) ∪ (2π − 1.5, 2π) with both parts present: the largest gap is the one
///    between L = max of the low part and H = min of the high part, so Ψ = 2π − (H − L).
/// Everything else (cores, noise, steep ramps) is gathered and sorted per voxel. Each result is
/// the same Float operation on the same two phases as in the reference (and x ↦ 2π − x rounds
/// monotonically), so the outputs are identical, not merely close.
///
/// The support's bounding box (within the planes that matter) bounds the work, which is what
/// makes a small crystal in a large array cheap.
public enum BCDIPsi {
    /// Ψα for output planes `zRange` (default all) into `out` (`zRange.count × ny × nx`, C order).
    /// `support` is nonzero inside the crystal; masked voxels get Ψ = 0 and are ignored as
    /// neighbours. Planes outside `zRange` are read as neighbours (the halo of a slab).
    public static func compute(
        phase: UnsafeBufferPointer<Float>, support: UnsafeBufferPointer<UInt8>, shape: BCDIShape,
        alpha: Int = 1, zRange: Range<Int>? = nil, into out: UnsafeMutableBufferPointer<Float>
    ) {
        let zr = zRange ?? 0..<shape.nz
        precondition(phase.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        precondition(alpha >= 0, "alpha must be ≥ 0")
        precondition(zr.lowerBound >= 0 && zr.upperBound <= shape.nz, "zRange \(zr) outside 0..<\(shape.nz)")
        precondition(out.count == zr.count * shape.planeCount, "output holds \(out.count), needs \(zr.count * shape.planeCount)")
        out.update(repeating: 0)
        guard !zr.isEmpty, shape.count > 0 else { return }
        let scan = max(0, zr.lowerBound - alpha)..<min(shape.nz, zr.upperBound + alpha)
        guard let box = BCDISupportBox.find(support, shape: shape, planes: scan) else { return }
        // The box may lie entirely in the halo planes (a slab whose own planes hold no crystal).
        let zLo = max(zr.lowerBound, box.z.lowerBound), zHi = min(zr.upperBound, box.z.upperBound)
        guard zLo < zHi else { return }
        let zOut = zLo..<zHi
        var k = BCDIPsiWorker(phase: phase.baseAddress!, support: support.baseAddress!, shape: shape, alpha: alpha, box: box)
        defer { k.deallocate() }
        for z in zOut {
            k.plane(z: z, out: out.baseAddress! + (z - zr.lowerBound) * shape.planeCount)
        }
    }

    /// Array convenience for `compute(phase:support:shape:alpha:zRange:into:)`.
    public static func compute(
        phase: [Float], support: [UInt8], shape: BCDIShape, alpha: Int = 1, zRange: Range<Int>? = nil
    ) -> [Float] {
        let zr = zRange ?? 0..<shape.nz
        var out = [Float](repeating: 0, count: zr.count * shape.planeCount)
        phase.withUnsafeBufferPointer { p in
            support.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    compute(phase: p, support: s, shape: shape, alpha: alpha, zRange: zr, into: o)
                }
            }
        }
        return out
    }
}

/// Bounding box of the nonzero support voxels within some planes.
struct BCDISupportBox {
    var z: Range<Int>
    var y: Range<Int>
    var x: Range<Int>

    /// Scans 8 bytes at a time; an empty row costs nx/8 loads.
    static func find(_ s: UnsafeBufferPointer<UInt8>, shape: BCDIShape, planes: Range<Int>) -> BCDISupportBox? {
        var zLo = Int.max, zHi = -1, yLo = Int.max, yHi = -1, xLo = Int.max, xHi = -1
        let raw = UnsafeRawPointer(s.baseAddress!)
        let nx = shape.nx
        for z in planes {
            for y in 0..<shape.ny {
                let row = shape.index(x: 0, y: y, z: z)
                var first = -1
                var i = 0
                while i + 8 <= nx {
                    if raw.loadUnaligned(fromByteOffset: row + i, as: UInt64.self) != 0 { break }
                    i += 8
                }
                while i < nx {
                    if s[row + i] != 0 { first = i; break }
                    i += 1
                }
                guard first >= 0 else { continue }
                var last = nx - 1
                while s[row + last] == 0 { last -= 1 }
                zLo = min(zLo, z); zHi = max(zHi, z)
                yLo = min(yLo, y); yHi = max(yHi, y)
                xLo = min(xLo, first); xHi = max(xHi, last)
            }
        }
        guard zHi >= 0 else { return nil }
        return BCDISupportBox(z: zLo..<(zHi + 1), y: yLo..<(yHi + 1), x: xLo..<(xHi + 1))
    }
}

/// Per-call scratch planes and the plane loop of `BCDIPsi`.
///
/// Input planes are first turned into "prepared" planes over the support box: the wrapped
/// phase where supported and NaN where masked (a scalar loop LLVM vectorises), kept in a ring
/// of 2α+1 planes. NaN fails every comparison, so masked voxels drop out of the min/max
/// reductions without any per-lane mask (byte → lane-mask conversion does not vectorise).
private struct BCDIPsiWorker {
    typealias V = SIMD8<Float>
    let phase: UnsafePointer<Float>
    let support: UnsafePointer<UInt8>
    let shape: BCDIShape
    let alpha: Int
    let box: BCDISupportBox
    let width: Int  // box width
    let padded: Int  // width rounded up to 8: row stride of the prepared planes
    let stride: Int  // scratch row stride: α padding, padded width, α padding, rounded to 8
    let height: Int
    /// Ring of 2α+1 prepared planes and the z each holds.
    let ring: UnsafeMutablePointer<Float>
    var ringZ: [Int]
    /// z-reduced and then y-reduced planes of min, max, low-max (L) and high-min (H).
    let zq: UnsafeMutablePointer<Float>
    let yq: UnsafeMutablePointer<Float>
    let gather: UnsafeMutablePointer<Float>
    let successor: UnsafeMutablePointer<V>

    static let inf = Float.infinity
    static let pi = Float.pi
    static let lowEdge: Float = 1.5
    static let highEdge: Float = PhaseWrap.twoPi - 1.5

    init(phase: UnsafePointer<Float>, support: UnsafePointer<UInt8>, shape: BCDIShape, alpha: Int, box: BCDISupportBox) {
        self.phase = phase
        self.support = support
        self.shape = shape
        self.alpha = alpha
        self.box = box
        width = box.x.count
        height = box.y.count
        padded = (width + 7) & ~7
        stride = (padded + 2 * alpha + 7) & ~7
        let side = 2 * alpha + 1
        ring = .allocate(capacity: side * height * padded)
        ring.initialize(repeating: .nan, count: side * height * padded)
        ringZ = [Int](repeating: -1, count: side)
        let n = 4 * height * stride
        zq = .allocate(capacity: n)
        yq = .allocate(capacity: n)
        let lanes = max(32, (side * side * side + 7) & ~7)
        gather = .allocate(capacity: lanes)
        successor = .allocate(capacity: lanes / 8)
        // Padding columns hold the identity of each reduction and are never overwritten.
        for q in 0..<4 {
            let identity: Float = (q == 0 || q == 3) ? Self.inf : -Self.inf
            (zq + q * height * stride).initialize(repeating: identity, count: height * stride)
            (yq + q * height * stride).initialize(repeating: identity, count: height * stride)
        }
    }

    func deallocate() {
        ring.deallocate()
        zq.deallocate()
        yq.deallocate()
        gather.deallocate()
        successor.deallocate()
    }

    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// The prepared plane holding input plane `z` (which must be inside the box).
    mutating func prepared(_ z: Int) -> UnsafeMutablePointer<Float> {
        let slot = z % (2 * alpha + 1)
        let p = ring + slot * height * padded
        if ringZ[slot] != z {
            ringZ[slot] = z
            for r in 0..<height {
                let src = shape.index(x: box.x.lowerBound, y: box.y.lowerBound + r, z: z)
                let ph = phase + src, sp = support + src, dst = p + r * padded
                for c in 0..<width {
                    dst[c] = sp[c] != 0 ? PhaseWrap.wrap(ph[c]) : .nan
                }
            }
        }
        return p
    }

    /// Computes one output plane z (inside the box) into `out` (a full ny × nx plane, already zero).
    mutating func plane(z: Int, out: UnsafeMutablePointer<Float>) {
        let plane = height * stride
        let zs = max(box.z.lowerBound, z - alpha)...min(box.z.upperBound - 1, z + alpha)
        let planes = zs.map { prepared($0) }
        let centre = prepared(z)
        let pi = V(repeating: Self.pi)
        // z pass: split by half-circle, reduce over the planes.
        for r in 0..<height {
            let zrow = zq + r * stride + alpha
            var c = 0
            while c < padded {
                var mn = V(repeating: Self.inf), mx = V(repeating: -Self.inf)
                var lo = V(repeating: -Self.inf), hi = V(repeating: Self.inf)
                for p in planes {
                    let w = load(p + r * padded + c)
                    mn = mn.replacing(with: w, where: w .< mn)
                    mx = mx.replacing(with: w, where: w .> mx)
                    lo = lo.replacing(with: w, where: (w .< pi) .& (w .> lo))
                    hi = hi.replacing(with: w, where: (w .>= pi) .& (w .< hi))
                }
                store(mn, zrow + c)
                store(mx, zrow + plane + c)
                store(lo, zrow + 2 * plane + c)
                store(hi, zrow + 3 * plane + c)
                c += 8
            }
        }
        // y pass over whole scratch rows (padding stays the identity).
        for r in 0..<height {
            let r0 = max(0, r - alpha), r1 = min(height - 1, r + alpha)
            for q in 0..<4 {
                let src = zq + q * plane, dst = yq + q * plane + r * stride
                var c = 0
                if q == 0 || q == 3 {
                    while c < stride {
                        var acc = load(src + r0 * stride + c)
                        for rr in Swift.stride(from: r0 + 1, through: r1, by: 1) {
                            let v = load(src + rr * stride + c)
                            acc = acc.replacing(with: v, where: v .< acc)
                        }
                        store(acc, dst + c)
                        c += 8
                    }
                } else {
                    while c < stride {
                        var acc = load(src + r0 * stride + c)
                        for rr in Swift.stride(from: r0 + 1, through: r1, by: 1) {
                            let v = load(src + rr * stride + c)
                            acc = acc.replacing(with: v, where: v .> acc)
                        }
                        store(acc, dst + c)
                        c += 8
                    }
                }
            }
        }
        // x pass fused with the Ψ decision.
        let twoPi = V(repeating: PhaseWrap.twoPi)
        let zero = V.zero
        for r in 0..<height {
            let y = box.y.lowerBound + r
            let base = r * stride + alpha
            let outRow = out + shape.index(x: box.x.lowerBound, y: y, z: 0)
            let centreRow = centre + r * padded
            var c = 0
            while c < width {
                let w = load(centreRow + c)
                let supported = w .== w
                if !any(supported) { c += 8; continue }
                var mn = load(yq + base + c - alpha), mx = load(yq + plane + base + c - alpha)
                var lo = load(yq + 2 * plane + base + c - alpha), hi = load(yq + 3 * plane + base + c - alpha)
                for d in Swift.stride(from: 1 - alpha, through: alpha, by: 1) {
                    let a = load(yq + base + c + d), b = load(yq + plane + base + c + d)
                    let e = load(yq + 2 * plane + base + c + d), f = load(yq + 3 * plane + base + c + d)
                    mn = mn.replacing(with: a, where: a .< mn)
                    mx = mx.replacing(with: b, where: b .> mx)
                    lo = lo.replacing(with: e, where: e .> lo)
                    hi = hi.replacing(with: f, where: f .< hi)
                }
                let range = mx - mn
                let fast1 = range .< pi
                let fast2 = (lo .>= zero) .& (lo .< Self.lowEdge) .& (hi .> Self.highEdge) .& (hi .< twoPi)
                var v = range.replacing(with: twoPi - (hi - lo), where: .!fast1 .& fast2)
                v = zero.replacing(with: v, where: supported)
                let slow = .!fast1 .& .!fast2 .& supported
                if any(slow) {
                    for l in 0..<8 where slow[l] { v[l] = slowPsi(row: r, column: c + l, planes: planes) }
                }
                if c + 8 <= width {
                    store(v, outRow + c)
                } else {
                    for l in 0..<(width - c) { outRow[c + l] = v[l] }
                }
                c += 8
            }
        }
    }

    /// Exact Ψ of one voxel from the prepared planes, without sorting: the successor of each
    /// phase (the smallest phase above it) is found for all phases at once with vertical SIMD
    /// min/compare (n²/8 lane operations, no branches), the largest gap is the largest
    /// successor − phase, and Ψ = min(2π − largest gap, max − min). Each gap is the same Float
    /// subtraction of the same two consecutive distinct phases as in the sorted reference.
    func slowPsi(row r: Int, column c: Int, planes: [UnsafeMutablePointer<Float>]) -> Float {
        var n = 0
        for p in planes {
            for rr in max(0, r - alpha)...min(height - 1, r + alpha) {
                let row = p + rr * padded
                for cc in max(0, c - alpha)...min(width - 1, c + alpha) {
                    let w = row[cc]
                    if w == w {
                        gather[n] = w
                        n += 1
                    }
                }
            }
        }
        guard n >= 2 else { return 0 }
        if n <= 32 { return successorPsi32(count: n) }
        let vectors = (n + 7) / 8
        for k in n..<(vectors * 8) { gather[k] = .nan }  // NaN is never a successor nor a min/max
        let inf = V(repeating: Self.inf)
        var lo = inf, hi = -inf
        for j in 0..<vectors {
            let v = load(gather + 8 * j)
            lo = lo.replacing(with: v, where: v .< lo)
            hi = hi.replacing(with: v, where: v .> hi)
            successor[j] = inf
        }
        for i in 0..<n {
            let t = V(repeating: gather[i])
            for j in 0..<vectors {
                let s = successor[j]
                successor[j] = s.replacing(with: t, where: (t .> load(gather + 8 * j)) .& (t .< s))
            }
        }
        var gap = V.zero
        for j in 0..<vectors {
            let s = successor[j]
            let g = s - load(gather + 8 * j)
            gap = gap.replacing(with: g, where: (s .< inf) .& (g .> gap))
        }
        return min(PhaseWrap.twoPi - gap.max(), hi.max() - lo.min())
    }

    /// `slowPsi`'s gap search for at most 32 phases (α = 1), with the four successor vectors
    /// held in registers.
    @inline(__always)
    func successorPsi32(count n: Int) -> Float {
        for k in n..<32 { gather[k] = .nan }
        let g0 = load(gather), g1 = load(gather + 8), g2 = load(gather + 16), g3 = load(gather + 24)
        let inf = V(repeating: Self.inf)
        var s0 = inf, s1 = inf, s2 = inf, s3 = inf
        for i in 0..<n {
            let t = V(repeating: gather[i])
            s0 = s0.replacing(with: t, where: (t .> g0) .& (t .< s0))
            s1 = s1.replacing(with: t, where: (t .> g1) .& (t .< s1))
            s2 = s2.replacing(with: t, where: (t .> g2) .& (t .< s2))
            s3 = s3.replacing(with: t, where: (t .> g3) .& (t .< s3))
        }
        var lo = g0, hi = g0
        for g in [g1, g2, g3] {
            lo = lo.replacing(with: g, where: g .< lo)
            hi = hi.replacing(with: g, where: g .> hi)
        }
        // NaN lanes of g0 (only when n < 2, excluded above) cannot be left in lo/hi: g0 holds
        // at least two phases, and NaN never wins a comparison.
        var gap = V.zero
        for (sv, g) in [(s0, g0), (s1, g1), (s2, g2), (s3, g3)] {
            let d = sv - g
            gap = gap.replacing(with: d, where: (sv .< inf) .& (d .> gap))
        }
        var mn = Self.inf, mx = -Self.inf
        for l in 0..<8 where lo[l] == lo[l] {
            mn = min(mn, lo[l])
            mx = max(mx, hi[l])
        }
        return min(PhaseWrap.twoPi - gap.max(), mx - mn)
    }
}
