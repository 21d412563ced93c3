#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-place radix-2 complex FFT of an n×n array (n a power of two), split real and
/// imaginary planes, row-major. Rows are transformed one at a time; columns eight at a time
/// with SIMD8 (eight neighbouring columns of a row are contiguous), so both passes stream
/// through memory. Twiddles and the bit-reversal table are computed once per size.
public struct FFT2D: Sendable {
    public let n: Int
    private let log2n: Int
    private let cosines: [Float]
    private let sines: [Float]
    private let reversed: [Int]

    public init(n: Int) {
        precondition(n >= 8 && n & (n - 1) == 0, "FFT2D size must be a power of two ≥ 8")
        self.n = n
        log2n = n.trailingZeroBitCount
        cosines = (0..<(n / 2)).map { Float(cos(2 * Double.pi * Double($0) / Double(n))) }
        sines = (0..<(n / 2)).map { Float(sin(2 * Double.pi * Double($0) / Double(n))) }
        let bits = n.trailingZeroBitCount
        reversed = (0..<n).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }
    }

    /// Transforms `re`/`im` (n·n each) in place; `inverse` uses e^{+i…} and divides by n².
    ///
    /// The rows' pass runs as a column pass on the transposed planes (transposed back after):
    /// `columnFFT8` does each row's butterflies, in the same order with the same twiddles, eight
    /// rows at a time, so the planes are bit for bit `transformReference`'s, at a third of the
    /// row pass's time.
    public func transform(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, inverse: Bool) {
        let sign: Float = inverse ? 1 : -1
        Self.transposeSquare(re, n); Self.transposeSquare(im, n)
        var x = 0
        while x < n { columnFFT8(re + x, im + x, sign: sign); x += 8 }
        Self.transposeSquare(re, n); Self.transposeSquare(im, n)
        x = 0
        while x < n { columnFFT8(re + x, im + x, sign: sign); x += 8 }
        if inverse {
            let s = 1 / Float(n * n)
            for i in 0..<(n * n) { re[i] *= s; im[i] *= s }
        }
    }

    /// The transform with the rows one at a time (`rowFFT`), the kernel before the transposed
    /// row pass: the reference `transform` is compared with bit for bit (`TEMDriftTests`).
    public func transformReference(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, inverse: Bool) {
        let sign: Float = inverse ? 1 : -1
        for y in 0..<n { rowFFT(re + y * n, im + y * n, sign: sign) }
        var x = 0
        while x < n { columnFFT8(re + x, im + x, sign: sign); x += 8 }
        if inverse {
            let s = 1 / Float(n * n)
            for i in 0..<(n * n) { re[i] *= s; im[i] *= s }
        }
    }

    /// Transposes an n×n plane in place, 8×8 blocks at a time (each block pair swapped through
    /// the cache once).
    static func transposeSquare(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        let b = 8
        var by = 0
        while by < n {
            var bx = by
            while bx < n {
                if bx == by {
                    for y in by..<min(n, by + b) {
                        for x in (y + 1)..<max(y + 1, min(n, bx + b)) { swap(&p[y * n + x], &p[x * n + y]) }
                    }
                } else {
                    for y in by..<min(n, by + b) {
                        for x in bx..<min(n, bx + b) { swap(&p[y * n + x], &p[x * n + y]) }
                    }
                }
                bx += b
            }
            by += b
        }
    }

    private func rowFFT(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, sign: Float) {
        for i in 0..<n {
            let j = reversed[i]
            if j > i { swap(&re[i], &re[j]); swap(&im[i], &im[j]) }
        }
        var half = 1
        while half < n {
            let step = n / (2 * half)
            var start = 0
            while start < n {
                for k in 0..<half {
                    let wr = cosines[k * step], wi = sign * sines[k * step]
                    let a = start + k, b = a + half
                    let tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
                start += 2 * half
            }
            half *= 2
        }
    }

    /// The FFT down eight adjacent columns starting at `re`/`im` (row stride n).
    private func columnFFT8(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, sign: Float) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ row: Int) -> V {
            UnsafeRawPointer(p + row * n).loadUnaligned(as: V.self)
        }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ row: Int) {
            UnsafeMutableRawPointer(p + row * n).storeBytes(of: v, as: V.self)
        }
        for i in 0..<n {
            let j = reversed[i]
            guard j > i else { continue }
            let ar = load(re, i), ai = load(im, i)
            store(load(re, j), re, i); store(load(im, j), im, i)
            store(ar, re, j); store(ai, im, j)
        }
        var half = 1
        while half < n {
            let step = n / (2 * half)
            var start = 0
            while start < n {
                for k in 0..<half {
                    let wr = V(repeating: cosines[k * step]), wi = V(repeating: sign * sines[k * step])
                    let a = start + k, b = a + half
                    let br = load(re, b), bi = load(im, b), ar = load(re, a), ai = load(im, a)
                    let tr = br * wr - bi * wi, ti = br * wi + bi * wr
                    store(ar - tr, re, b); store(ai - ti, im, b)
                    store(ar + tr, re, a); store(ai + ti, im, a)
                }
                start += 2 * half
            }
            half *= 2
        }
    }

    /// The plain O(n⁴) DFT of the same array, in Double: the reference the FFT is tested against.
    public static func referenceDFT(re: [Float], im: [Float], n: Int, inverse: Bool) -> (re: [Double], im: [Double]) {
        var outR = [Double](repeating: 0, count: n * n), outI = outR
        let sign = inverse ? 1.0 : -1.0
        for v in 0..<n {
            for u in 0..<n {
                var sr = 0.0, si = 0.0
                for y in 0..<n {
                    for x in 0..<n {
                        let phase = sign * 2 * Double.pi * Double(u * x + v * y) / Double(n)
                        let c = cos(phase), s = sin(phase)
                        let a = Double(re[y * n + x]), b = Double(im[y * n + x])
                        sr += a * c - b * s
                        si += a * s + b * c
                    }
                }
                let scale = inverse ? 1 / Double(n * n) : 1
                outR[v * n + u] = sr * scale
                outI[v * n + u] = si * scale
            }
        }
        return (outR, outI)
    }
}
