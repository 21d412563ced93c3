#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTEMSIMD

/// Sampled Gaussian kernels and a separable 2D filter over `Float` frames (row-major,
/// replicate-edge borders), with a direct 2D convolution as its reference twin.
///
/// Kernels are applied as correlations, `out(x) = Σ_j k[j] f(x + j − r)`, and normalised on the
/// sampled grid so that the order-1 kernel returns exactly 1 on f(x) = x and the order-2 kernel
/// exactly 1 on f(x) = x²/2: the Hessian entries then have the right scale at any σ.
public enum GaussianFilter {
    /// Taps of the Gaussian (order 0), its first (1) or second (2) derivative; length 2r+1.
    public static func kernel(sigma: Double, order: Int) -> [Float] {
        precondition(sigma > 0 && (0...2).contains(order), "sigma > 0 and order 0, 1 or 2")
        let r = max(1, Int((sigma * 3).rounded(.up)))
        let js = (-r...r).map(Double.init)
        var g = js.map { exp(-0.5 * $0 * $0 / (sigma * sigma)) }
        let sum = g.reduce(0, +)
        g = g.map { $0 / sum }
        switch order {
        case 0:
            return g.map(Float.init)
        case 1:
            var k = zip(js, g).map { $0 * $1 }
            let m = zip(js, k).map { $0 * $1 }.reduce(0, +)
            k = k.map { $0 / m }
            return k.map(Float.init)
        default:
            var k = zip(js, g).map { ($0 * $0 - sigma * sigma) * $1 }
            // Re-centre on the Gaussian support so the sum is zero without flattening the tails.
            let s0 = k.reduce(0, +)
            k = zip(k, g).map { $0 - s0 * $1 }
            let m = zip(js, k).map { 0.5 * $0 * $0 * $1 }.reduce(0, +)
            k = k.map { $0 / m }
            return k.map(Float.init)
        }
    }

    /// Correlates every row of `src` with `k` (centred), writing `dst`.
    public static func horizontal(
        _ src: UnsafeBufferPointer<Float>, width: Int, height: Int, kernel k: [Float],
        into dst: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(src.count >= width * height && dst.count >= width * height && k.count % 2 == 1)
        let r = k.count / 2
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: width + 2 * r + 8)
        defer { padded.deallocate() }
        k.withUnsafeBufferPointer { kp in
            let s = src.baseAddress!, d = dst.baseAddress!
            for y in 0..<height {
                let row = s + y * width
                for i in 0..<r { padded[i] = row[0]; padded[width + r + i] = row[width - 1] }
                (padded + r).update(from: row, count: width)
                let out = d + y * width
                var x = 0
                while x + 8 <= width {
                    var acc = SIMD8<Float>(repeating: 0)
                    for j in 0..<kp.count {
                        let v = UnsafeRawPointer(padded + x + j).loadUnaligned(as: SIMD8<Float>.self)
                        acc += v * SIMD8(repeating: kp[j]) // not addProduct: without -mfma that is a libm call per lane
                    }
                    UnsafeMutableRawPointer(out + x).storeBytes(of: acc, as: SIMD8<Float>.self)
                    x += 8
                }
                while x < width {
                    var acc: Float = 0
                    for j in 0..<kp.count { acc += kp[j] * padded[x + j] }
                    out[x] = acc
                    x += 1
                }
            }
        }
    }

    /// Correlates every column of `src` with `k` (centred), writing `dst`; vectorised across x.
    public static func vertical(
        _ src: UnsafeBufferPointer<Float>, width: Int, height: Int, kernel k: [Float],
        into dst: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(src.count >= width * height && dst.count >= width * height && k.count % 2 == 1)
        let r = k.count / 2
        k.withUnsafeBufferPointer { kp in
            let s = src.baseAddress!, d = dst.baseAddress!
            for y in 0..<height {
                let out = d + y * width
                var x = 0
                while x + 8 <= width {
                    var acc = SIMD8<Float>(repeating: 0)
                    for j in 0..<kp.count {
                        let yy = min(height - 1, max(0, y + j - r))
                        let v = UnsafeRawPointer(s + yy * width + x).loadUnaligned(as: SIMD8<Float>.self)
                        acc += v * SIMD8(repeating: kp[j]) // not addProduct: without -mfma that is a libm call per lane
                    }
                    UnsafeMutableRawPointer(out + x).storeBytes(of: acc, as: SIMD8<Float>.self)
                    x += 8
                }
                while x < width {
                    var acc: Float = 0
                    for j in 0..<kp.count {
                        let yy = min(height - 1, max(0, y + j - r))
                        acc += kp[j] * s[yy * width + x]
                    }
                    out[x] = acc
                    x += 1
                }
            }
        }
    }

    /// Row pass for a symmetric kernel, pairing the taps at ±j (one add and one multiply-add per
    /// pair); replicate-edge borders.
    public static func horizontalSymmetric(
        _ src: UnsafeBufferPointer<Float>, width: Int, height: Int, kernel k: [Float],
        into dst: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(k.count % 2 == 1 && src.count >= width * height && dst.count >= width * height)
        let r = k.count / 2
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: width + 2 * r + 8)
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: r + 1)
        defer { padded.deallocate(); taps.deallocate() }
        for j in 0...r { taps[j] = k[r + j] }
        let s = src.baseAddress!, d = dst.baseAddress!
        for y in 0..<height {
            horizontalSymmetricRow(s + y * width, width: width, radius: r, taps: taps, padded: padded, into: d + y * width)
        }
    }

    /// One row of ``horizontalSymmetric``; `padded` holds `width + 2r + 8` floats of scratch.
    @inline(__always)
    static func horizontalSymmetricRow(
        _ row: UnsafePointer<Float>, width: Int, radius r: Int, taps: UnsafePointer<Float>,
        padded: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        for i in 0..<r { padded[i] = row[0]; padded[width + r + i] = row[width - 1] }
        (padded + r).update(from: row, count: width)
        let c = padded + r
        var x = 0
        while x + 8 <= width {
            var acc = UnsafeRawPointer(c + x).loadUnaligned(as: V.self) * taps[0]
            for j in 1...max(1, r) where j <= r {
                let p = UnsafeRawPointer(c + x + j).loadUnaligned(as: V.self)
                let m = UnsafeRawPointer(c + x - j).loadUnaligned(as: V.self)
                acc += (p + m) * taps[j]
            }
            UnsafeMutableRawPointer(out + x).storeBytes(of: acc, as: V.self)
            x += 8
        }
        while x < width {
            var acc = c[x] * taps[0]
            for j in 1...max(1, r) where j <= r { acc += (c[x + j] + c[x - j]) * taps[j] }
            out[x] = acc
            x += 1
        }
    }

    /// Symmetric 2D Gaussian (``horizontalSymmetric`` then ``verticalSymmetric``, the same
    /// arithmetic) without the intermediate frame: rows are filtered into a ring of 2r+1 row
    /// buffers as the column pass needs them, so the intermediate stays in L1 instead of going
    /// out to memory and back.
    /// On AVX CPUs (`allowAVX`) both passes' vector parts run in C on 8-lane registers
    /// (`CTEMSIMD`: the same operations in the same order, so the same values).
    public static func blurSymmetric(
        _ src: UnsafeBufferPointer<Float>, width: Int, height: Int, kernel k: [Float],
        into dst: UnsafeMutableBufferPointer<Float>, allowAVX: Bool = true
    ) {
        precondition(k.count % 2 == 1 && src.count >= width * height && dst.count >= width * height)
        let r = k.count / 2, slots = 2 * r + 1
        let ring = UnsafeMutablePointer<Float>.allocate(capacity: slots * width)
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: width + 2 * r + 8)
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: r + 1)
        let plus = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: r + 1)
        let minus = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: r + 1)
        defer { ring.deallocate(); padded.deallocate(); taps.deallocate(); plus.deallocate(); minus.deallocate() }
        for j in 0...r { taps[j] = k[r + j] }
        let s = src.baseAddress!, d = dst.baseAddress!
        let avx = allowAVX && RidgeFilter.useAVX
        var filtered = 0 // rows 0..<filtered are done; row q lives in slot q % slots
        for y in 0..<height {
            while filtered <= min(height - 1, y + r) {
                let row = s + filtered * width, out = ring + (filtered % slots) * width
                if avx {
                    // The groups whose taps stay inside the row read it in place; only the groups
                    // at either end (and the scalar tail) read the padded copy, and only the
                    // values they read are copied: the same inputs, so the same sums.
                    let vecEnd = (width / 8) * 8
                    let first = (r + 7) / 8 * 8 // first group x with x − r ≥ 0
                    let last = width - 8 - r >= 0 ? (width - 8 - r) / 8 * 8 + 8 : 0 // groups x < last have x + 7 + r ≤ width − 1
                    let c = padded + r
                    if first < last && last <= vecEnd {
                        for i in 0..<r { padded[i] = row[0]; padded[width + r + i] = row[width - 1] }
                        let head = min(width, first + r), tail = max(0, last - r)
                        c.update(from: row, count: head)
                        (c + tail).update(from: row + tail, count: width - tail)
                        slp_tem_hsym_range_avx(c, 0, Int32(first), Int32(r), taps, out)
                        slp_tem_hsym_range_avx(row, Int32(first), Int32(last), Int32(r), taps, out)
                        slp_tem_hsym_range_avx(c, Int32(last), Int32(vecEnd), Int32(r), taps, out)
                    } else {
                        for i in 0..<r { padded[i] = row[0]; padded[width + r + i] = row[width - 1] }
                        c.update(from: row, count: width)
                        _ = slp_tem_hsym_row_avx(c, Int32(width), Int32(r), taps, out)
                    }
                    var x = vecEnd
                    while x < width {
                        var acc = c[x] * taps[0]
                        for j in 1...max(1, r) where j <= r { acc += (c[x + j] + c[x - j]) * taps[j] }
                        out[x] = acc
                        x += 1
                    }
                } else {
                    horizontalSymmetricRow(row, width: width, radius: r, taps: taps, padded: padded, into: out)
                }
                filtered += 1
            }
            for j in 0...r {
                plus[j] = UnsafePointer(ring + (min(height - 1, y + j) % slots) * width)
                minus[j] = UnsafePointer(ring + (max(0, y - j) % slots) * width)
            }
            let out = d + y * width
            guard avx else {
                verticalSymmetricRow(plus: plus, minus: minus, radius: r, taps: taps, sign: 1, width: width, into: out)
                continue
            }
            var x = Int(plus.withMemoryRebound(to: Optional<UnsafePointer<Float>>.self, capacity: r + 1) { pl in
                minus.withMemoryRebound(to: Optional<UnsafePointer<Float>>.self, capacity: r + 1) { mi in
                    slp_tem_vsym_row_avx(pl, mi, Int32(r), taps, Int32(width), out)
                }
            })
            while x < width {
                var acc = plus[0][x] * taps[0]
                for j in 1...max(1, r) where j <= r { acc += (plus[j][x] + minus[j][x]) * taps[j] }
                out[x] = acc
                x += 1
            }
        }
    }

    /// Column pass for a symmetric (`antisymmetric == false`) or antisymmetric kernel, pairing
    /// the taps at ±j so each pair costs one add and one multiply-add.
    public static func verticalSymmetric(
        _ src: UnsafeBufferPointer<Float>, width: Int, height: Int, kernel k: [Float], antisymmetric: Bool,
        into dst: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(src.count >= width * height && dst.count >= width * height && k.count % 2 == 1)
        typealias V = SIMD8<Float>
        let r = k.count / 2
        let s = src.baseAddress!, d = dst.baseAddress!
        let sign: Float = antisymmetric ? -1 : 1
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: r + 1)
        let plus = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: r + 1)
        let minus = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: r + 1)
        defer { taps.deallocate(); plus.deallocate(); minus.deallocate() }
        for j in 0...r { taps[j] = k[r + j] }
        for y in 0..<height {
            // Row pointers for the taps at ±j, clamped once per row rather than per pixel.
            for j in 0...r {
                plus[j] = UnsafePointer(s + min(height - 1, y + j) * width)
                minus[j] = UnsafePointer(s + max(0, y - j) * width)
            }
            verticalSymmetricRow(plus: plus, minus: minus, radius: r, taps: taps, sign: sign, width: width, into: d + y * width)
        }
    }

    /// One output row of ``verticalSymmetric`` from the row pointers at ±j.
    @inline(__always)
    static func verticalSymmetricRow(
        plus: UnsafePointer<UnsafePointer<Float>>, minus: UnsafePointer<UnsafePointer<Float>>, radius r: Int,
        taps: UnsafePointer<Float>, sign: Float, width: Int, into out: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        var x = 0
        while x + 16 <= width {
            var acc0 = UnsafeRawPointer(plus[0] + x).loadUnaligned(as: V.self) * taps[0]
            var acc1 = UnsafeRawPointer(plus[0] + x + 8).loadUnaligned(as: V.self) * taps[0]
            for j in 1...max(1, r) where j <= r {
                let p0 = UnsafeRawPointer(plus[j] + x).loadUnaligned(as: V.self)
                let m0 = UnsafeRawPointer(minus[j] + x).loadUnaligned(as: V.self)
                let p1 = UnsafeRawPointer(plus[j] + x + 8).loadUnaligned(as: V.self)
                let m1 = UnsafeRawPointer(minus[j] + x + 8).loadUnaligned(as: V.self)
                acc0 += (p0 + sign * m0) * taps[j]
                acc1 += (p1 + sign * m1) * taps[j]
            }
            UnsafeMutableRawPointer(out + x).storeBytes(of: acc0, as: V.self)
            UnsafeMutableRawPointer(out + x + 8).storeBytes(of: acc1, as: V.self)
            x += 16
        }
        while x < width {
            var acc = plus[0][x] * taps[0]
            for j in 1...max(1, r) where j <= r { acc += (plus[j][x] + sign * minus[j][x]) * taps[j] }
            out[x] = acc
            x += 1
        }
    }

    /// The separable filter `ky ⊗ kx` (rows with `kx`, then columns with `ky`).
    public static func separable(_ src: [Float], width: Int, height: Int, kx: [Float], ky: [Float]) -> [Float] {
        var tmp = [Float](repeating: 0, count: width * height)
        var out = tmp
        src.withUnsafeBufferPointer { s in
            tmp.withUnsafeMutableBufferPointer { horizontal(s, width: width, height: height, kernel: kx, into: $0) }
        }
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { vertical(t, width: width, height: height, kernel: ky, into: $0) }
        }
        return out
    }

    /// Gaussian smoothing with standard deviation `sigma` px (symmetric passes).
    public static func blur(_ src: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let k = kernel(sigma: sigma, order: 0)
        var tmp = [Float](repeating: 0, count: width * height)
        var out = tmp
        src.withUnsafeBufferPointer { s in
            tmp.withUnsafeMutableBufferPointer { horizontalSymmetric(s, width: width, height: height, kernel: k, into: $0) }
        }
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { verticalSymmetric(t, width: width, height: height, kernel: k, antisymmetric: false, into: $0) }
        }
        return out
    }

    /// Reference twin: direct 2D correlation with the outer product of `ky` and `kx`, same
    /// borders, accumulated in Double. O(r²) per pixel; for tests and the benchmark check only.
    public static func referenceSeparable(_ src: [Float], width: Int, height: Int, kx: [Float], ky: [Float]) -> [Float] {
        let rx = kx.count / 2, ry = ky.count / 2
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var acc = 0.0
                for j in 0..<ky.count {
                    let yy = min(height - 1, max(0, y + j - ry))
                    for i in 0..<kx.count {
                        let xx = min(width - 1, max(0, x + i - rx))
                        acc += Double(ky[j]) * Double(kx[i]) * Double(src[yy * width + xx])
                    }
                }
                out[y * width + x] = Float(acc)
            }
        }
        return out
    }
}
