/// Wrapping of phases into [0, 2π), shared by every Ψ implementation so that the SIMD kernel
/// and the naive reference see bit-identical inputs.
///
/// `floor` is done with the 1.5·2²³ rounding trick rather than `rounded(.down)`: baseline
/// x86-64 (SSE2) has no vector floor, so a loop calling `wrap` would not vectorise.
/// The trick is exact for |t/2π| < 2²²; larger phases (> 2.6·10⁷ rad) are not physical and are
/// wrapped as if already integral multiples.
public enum PhaseWrap {
    /// 2π rounded to Float (slightly above the true value, so wrapped phases are < `twoPi`).
    public static let twoPi: Float = 2 * Float.pi
    @usableFromInline static let inv2Pi: Float = 1 / (2 * Float.pi)
    @usableFromInline static let magic: Float = 12_582_912  // 1.5 · 2^23
    @usableFromInline static let limit: Float = 4_194_304  // 2^22

    /// `t` mod 2π in [0, 2π).
    @inlinable @inline(__always)
    public static func wrap(_ t: Float) -> Float {
        let q = t * inv2Pi
        var r = (q < limit && q > -limit) ? (q + magic) - magic : q
        if r > q { r -= 1 }
        var w = t - twoPi * r
        if w < 0 { w += twoPi }
        if w >= twoPi { w = 0 }
        return w
    }

    /// Wrapped difference a − b in [−π, π).
    @inlinable @inline(__always)
    public static func difference(_ a: Float, _ b: Float) -> Float {
        var d = a - b
        d -= twoPi * ((d + Float.pi) * inv2Pi).rounded(.down)
        return d
    }
}
