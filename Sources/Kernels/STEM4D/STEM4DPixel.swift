/// An element type a 4D-STEM cube may hold (`UInt8`, `UInt16`, `UInt32`, `Float`).
///
/// Kernels load 16 elements at a time and widen them to `Float` in registers, so a cube is
/// never converted in memory. Integer counts below 2²⁴ convert exactly.
public protocol STEM4DPixel: SIMDScalar, Sendable, Hashable, Codable {
    /// Widens 16 elements to `Float` lanes.
    static func widen(_ v: SIMD16<Self>) -> SIMD16<Float>
    /// The element as a `Float`.
    var floatValue: Float { get }
    /// The element as a `Double` (reference kernels accumulate in double precision).
    var doubleValue: Double { get }
}

extension UInt8: STEM4DPixel {
    @inlinable @inline(__always)
    public static func widen(_ v: SIMD16<UInt8>) -> SIMD16<Float> { stem4dWiden(v) }
    @inlinable @inline(__always) public var floatValue: Float { Float(self) }
    @inlinable @inline(__always) public var doubleValue: Double { Double(self) }
}

extension UInt16: STEM4DPixel {
    @inlinable @inline(__always)
    public static func widen(_ v: SIMD16<UInt16>) -> SIMD16<Float> { stem4dWiden(v) }
    @inlinable @inline(__always) public var floatValue: Float { Float(self) }
    @inlinable @inline(__always) public var doubleValue: Double { Double(self) }
}

extension UInt32: STEM4DPixel {
    @inlinable @inline(__always)
    public static func widen(_ v: SIMD16<UInt32>) -> SIMD16<Float> { stem4dWiden(v) }
    @inlinable @inline(__always) public var floatValue: Float { Float(self) }
    @inlinable @inline(__always) public var doubleValue: Double { Double(self) }
}

extension Float: STEM4DPixel {
    @inlinable @inline(__always)
    public static func widen(_ v: SIMD16<Float>) -> SIMD16<Float> { v }
    @inlinable @inline(__always) public var floatValue: Float { self }
    @inlinable @inline(__always) public var doubleValue: Double { Double(self) }
}

extension UnsafePointer where Pointee: STEM4DPixel {
    /// Loads 16 elements starting at `self + offset` (no alignment needed) and widens them.
    @inlinable @inline(__always)
    func stem4dLoad16(_ offset: Int) -> SIMD16<Float> {
        Pointee.widen(UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD16<Pointee>.self))
    }
}

extension SIMD16 where Scalar == Float {
    /// Lane-wise maximum compiled to a compare and a blend (the standard library's
    /// `pointwiseMax` handles NaN lane by lane and does not vectorise). NaN lanes of `other`
    /// are ignored.
    @inlinable @inline(__always)
    func stem4dMax(_ other: SIMD16<Float>) -> SIMD16<Float> {
        replacing(with: other, where: self .< other)
    }
}

/// Lane-by-lane conversion written so that LLVM turns it into vector zero-extends and
/// conversions (the standard library's SIMD converting initialisers are out-of-line calls).
@inlinable @inline(__always)
func stem4dWiden<T: BinaryInteger & SIMDScalar>(_ v: SIMD16<T>) -> SIMD16<Float> {
    var r = SIMD16<Float>()
    for i in 0..<16 { r[i] = Float(v[i]) }
    return r
}
