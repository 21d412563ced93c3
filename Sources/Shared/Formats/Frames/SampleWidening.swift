/// Stored samples to Float: the one hot loop of every uncompressed reader (MRC, DM, SER, raw
/// TIFF strips). A pure function over buffers with a plain twin (`reference`) it is tested
/// against; `ctl bench formats` times it.
public enum SampleWidening {
    /// Widens `destination.count` samples of `type` from `source` (unaligned, in file byte
    /// order: `byteSwapped` when that differs from the machine's) into `destination`, times
    /// `type.scale`. `uint4` is packed low nibble first. `source` must hold the samples.
    public static func widen(_ source: UnsafeRawBufferPointer, type: SampleType, byteSwapped: Bool,
                             into destination: UnsafeMutableBufferPointer<Float>) {
        let n = destination.count
        guard n > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        precondition(source.count >= (type == .uint4 ? (n + 1) / 2 : n * type.byteCount), "source holds fewer samples than requested")
        let scale = type.scale
        if !byteSwapped || type.byteCount == 1 {
            switch type {
            case .uint8: return widenSIMD(src, dst, n, scale, UInt8.self)
            case .int8: return widenSIMD(src, dst, n, scale, Int8.self)
            case .uint16: return widenSIMD(src, dst, n, scale, UInt16.self)
            case .int16: return widenSIMD(src, dst, n, scale, Int16.self)
            case .float32:
                var i = 0
                while i + 16 <= n {
                    let v = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: SIMD16<Float>.self)
                    i += 16
                }
                while i < n { dst[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self); i += 1 }
                return
            default: break
            }
        }
        widenScalar(src, dst, n, type: type, byteSwapped: byteSwapped, scale: scale)
    }

    /// Sixteen integer samples at a time: load, convert lane-wise, scale, store.
    @inline(__always)
    private static func widenSIMD<T: FixedWidthInteger & SIMDScalar>(
        _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ scale: Float, _: T.Type
    ) {
        var i = 0
        let size = MemoryLayout<T>.size
        while i + 16 <= n {
            let v = src.loadUnaligned(fromByteOffset: i * size, as: SIMD16<T>.self)
            let f = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v)) * scale
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            dst[i] = Float(src.loadUnaligned(fromByteOffset: i * size, as: T.self)) * scale
            i += 1
        }
    }

    private static func widenScalar(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
                                    type: SampleType, byteSwapped: Bool, scale: Float) {
        @inline(__always) func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            let v = src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return byteSwapped ? v.byteSwapped : v
        }
        switch type {
        case .uint4:
            for i in 0..<n {
                let byte = src.load(fromByteOffset: i / 2, as: UInt8.self)
                dst[i] = Float(i & 1 == 0 ? byte & 0x0F : byte >> 4) * scale
            }
        case .uint8: for i in 0..<n { dst[i] = Float(load(i, UInt8.self)) * scale }
        case .int8: for i in 0..<n { dst[i] = Float(Int8(bitPattern: load(i, UInt8.self))) * scale }
        case .uint16: for i in 0..<n { dst[i] = Float(load(i, UInt16.self)) * scale }
        case .int16: for i in 0..<n { dst[i] = Float(Int16(bitPattern: load(i, UInt16.self))) * scale }
        case .uint32: for i in 0..<n { dst[i] = Float(load(i, UInt32.self)) * scale }
        case .int32: for i in 0..<n { dst[i] = Float(Int32(bitPattern: load(i, UInt32.self))) * scale }
        case .uint64: for i in 0..<n { dst[i] = Float(load(i, UInt64.self)) * scale }
        case .int64: for i in 0..<n { dst[i] = Float(Int64(bitPattern: load(i, UInt64.self))) * scale }
        case .float16: for i in 0..<n { dst[i] = Float(Float16(bitPattern: load(i, UInt16.self))) * scale }
        case .float32: for i in 0..<n { dst[i] = Float(bitPattern: load(i, UInt32.self)) * scale }
        case .float64: for i in 0..<n { dst[i] = Float(Double(bitPattern: load(i, UInt64.self))) * scale }
        }
    }

    /// The plain twin: one sample at a time through `Data`-free byte assembly, no SIMD.
    public static func reference(_ source: [UInt8], type: SampleType, bigEndian: Bool, count: Int) -> [Float] {
        (0..<count).map { i -> Float in
            func integer(_ size: Int) -> UInt64 {
                var v: UInt64 = 0
                for b in 0..<size {
                    let byte = UInt64(source[i * size + b])
                    v |= bigEndian ? byte << (8 * UInt64(size - 1 - b)) : byte << (8 * UInt64(b))
                }
                return v
            }
            let value: Float
            switch type {
            case .uint4: value = Float(i % 2 == 0 ? source[i / 2] & 0x0F : source[i / 2] >> 4)
            case .uint8: value = Float(source[i])
            case .int8: value = Float(Int8(bitPattern: source[i]))
            case .uint16: value = Float(integer(2))
            case .int16: value = Float(Int16(truncatingIfNeeded: integer(2)))
            case .uint32: value = Float(integer(4))
            case .int32: value = Float(Int32(truncatingIfNeeded: integer(4)))
            case .uint64: value = Float(integer(8))
            case .int64: value = Float(Int64(bitPattern: integer(8)))
            case .float16: value = Float(Float16(bitPattern: UInt16(integer(2))))
            case .float32: value = Float(bitPattern: UInt32(integer(4)))
            case .float64: value = Float(Double(bitPattern: integer(8)))
            }
            return value * type.scale
        }
    }
}
