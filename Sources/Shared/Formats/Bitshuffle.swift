/// The inverse of bitshuffle's bit transpose (Masui et al. 2015, the HDF5 filter 32008 that
/// Dectris detectors write): a block of `n` elements of `elementSize` bytes (`n` a multiple
/// of 8) is stored as `8 × elementSize` bit rows of `n / 8` bytes, row `8·j + i` holding bit
/// `i` of byte `j` of every element (element `e` at bit `e % 8` of row byte `e / 8`).
///
/// A pure function over buffers: ``unshuffle(_:into:count:elementSize:)`` is the SIMD kernel,
/// ``unshuffleReference(_:into:count:elementSize:)`` the plain definition it is tested against.
public enum Bitshuffle {
    /// Writes the `count × elementSize` bytes of `count` elements into `output` from their
    /// bit-transposed form in `input` (same size). `count` must be a multiple of 8.
    ///
    /// Each group of 8 elements is built at once in an 8-lane vector: lane `k` gathers bit
    /// `e % 8 = k` of every bit row's byte for the group, so one broadcast, shift and mask per
    /// row makes a row's contribution to all 8 elements.
    @inlinable
    public static func unshuffle(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, count: Int, elementSize: Int) {
        precondition(count % 8 == 0 && input.count >= count * elementSize && output.count >= count * elementSize)
        guard count > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self), let dst = output.baseAddress else { return }
        let rowBytes = count / 8
        switch elementSize {
        case 1: unshuffleGroups(src, dst.assumingMemoryBound(to: UInt8.self), rowBytes: rowBytes, rows: 8, as: UInt8.self)
        case 2: unshuffleGroups(src, dst.assumingMemoryBound(to: UInt16.self), rowBytes: rowBytes, rows: 16, as: UInt16.self)
        case 4: unshuffleGroups(src, dst.assumingMemoryBound(to: UInt32.self), rowBytes: rowBytes, rows: 32, as: UInt32.self)
        case 8: unshuffleGroups(src, dst.assumingMemoryBound(to: UInt64.self), rowBytes: rowBytes, rows: 64, as: UInt64.self)
        default: unshuffleReference(input, into: output, count: count, elementSize: elementSize)
        }
    }

    /// Elements of `rows / 8` bytes, little-endian (as the filter stores them on x86 and ARM).
    @inlinable
    static func unshuffleGroups<T: FixedWidthInteger & UnsignedInteger & SIMDScalar>(
        _ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<T>, rowBytes: Int, rows: Int, as: T.Type
    ) {
        let lane = SIMD8<T>(0, 1, 2, 3, 4, 5, 6, 7)
        let one = SIMD8<T>(repeating: 1)
        let out = UnsafeMutableRawPointer(dst)
        for group in 0..<rowBytes {
            var value = SIMD8<T>(repeating: 0)
            var row = 0
            while row < rows {
                // Four rows per step: independent shifts keep the vector units busy.
                let b0 = SIMD8<T>(repeating: T(src[row * rowBytes + group]))
                let b1 = SIMD8<T>(repeating: T(src[(row + 1) * rowBytes + group]))
                let b2 = SIMD8<T>(repeating: T(src[(row + 2) * rowBytes + group]))
                let b3 = SIMD8<T>(repeating: T(src[(row + 3) * rowBytes + group]))
                let shift = SIMD8<T>(repeating: T(truncatingIfNeeded: row))
                value |= ((b0 &>> lane) & one) &<< shift
                value |= ((b1 &>> lane) & one) &<< (shift &+ 1)
                value |= ((b2 &>> lane) & one) &<< (shift &+ 2)
                value |= ((b3 &>> lane) & one) &<< (shift &+ 3)
                row += 4
            }
            out.storeBytes(of: value, toByteOffset: group * 8 * MemoryLayout<T>.size, as: SIMD8<T>.self)
        }
    }

    /// The definition, bit by bit: the reference the kernel is tested against.
    public static func unshuffleReference(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, count: Int, elementSize: Int) {
        precondition(count % 8 == 0 && input.count >= count * elementSize && output.count >= count * elementSize)
        let rowBytes = count / 8
        for e in 0..<count {
            for j in 0..<elementSize {
                var byte: UInt8 = 0
                for i in 0..<8 where (input[(8 * j + i) * rowBytes + e / 8] >> (e % 8)) & 1 == 1 {
                    byte |= 1 << i
                }
                output[e * elementSize + j] = byte
            }
        }
    }
}
