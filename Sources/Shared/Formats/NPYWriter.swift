#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `.npy` files (C order, host byte order) that `numpy.load` reads.
public enum NPYWriter {
    /// Writes a real array.
    public static func write<T: NPYElement>(_ values: [T], shape: [Int], to path: String) throws {
        try values.withUnsafeBytes { bytes in
            try write(bytes: bytes, dtype: T.npyDType, shape: shape, to: path)
        }
    }

    /// Writes a complex64 (`<c8`) array from interleaved (re, im) floats.
    public static func writeComplex64(interleaved values: [Float], shape: [Int], to path: String) throws {
        try values.withUnsafeBytes { try write(bytes: $0, dtype: .complex64, shape: shape, to: path) }
    }

    /// Writes a complex128 (`<c16`) array from interleaved (re, im) doubles.
    public static func writeComplex128(interleaved values: [Double], shape: [Int], to path: String) throws {
        try values.withUnsafeBytes { try write(bytes: $0, dtype: .complex128, shape: shape, to: path) }
    }

    /// Writes raw element bytes already laid out as `dtype` in C order.
    public static func write(bytes: UnsafeRawBufferPointer, dtype: NPYDType, shape: [Int], to path: String) throws {
        let header = NPYHeader(dtype: dtype, shape: shape)
        guard shape.allSatisfy({ $0 >= 0 }), bytes.count == header.dataByteCount else {
            throw FormatError(
                .invalidArgument, .write, file: path,
                problem: "\(bytes.count) bytes given for shape \(shape) of \(dtype) (need \(header.count * dtype.itemSize))")
        }
        guard let file = fopen(path, "wb") else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: strerror(errno)))
        }
        let encoded = header.encoded()
        let ok = fwrite(encoded, 1, encoded.count, file) == encoded.count
            && (bytes.isEmpty || fwrite(bytes.baseAddress, 1, bytes.count, file) == bytes.count)
        let closed = fclose(file) == 0
        guard ok && closed else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw FormatError(.writeFailed, .write, file: path, problem: reason, fix: "check free disk space")
        }
    }
}
