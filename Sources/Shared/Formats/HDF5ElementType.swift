import CHDF5

/// The element type of an HDF5 dataset as Slipline sees it.
///
/// Complex numbers are HDF5 compounds of two floats named `r` and `i` (the h5py layout;
/// `real`/`imag` and `re`/`im` are accepted too).
public enum HDF5ElementType: Sendable, Equatable, Hashable, CustomStringConvertible {
    case uint8, uint16, uint32, uint64
    case int8, int16, int32, int64
    case float32, float64
    /// Compound {r, i} of float32.
    case complex64
    /// Compound {r, i} of float64.
    case complex128
    /// Anything else, described for error messages (e.g. `string`, `float16`, `compound {a, b, c}`).
    case other(String)

    public var isComplex: Bool { self == .complex64 || self == .complex128 }

    /// Integer or floating-point (not complex, not `other`).
    public var isReal: Bool {
        switch self {
        case .complex64, .complex128, .other: false
        default: true
        }
    }

    /// Size of one element in bytes as stored (0 for `other`).
    public var byteSize: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .complex64: 8
        case .complex128: 16
        case .other: 0
        }
    }

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        case .complex64: "complex64 (compound {r, i} of float32)"
        case .complex128: "complex128 (compound {r, i} of float64)"
        case .other(let text): text
        }
    }

    /// The native memory type for a real element type (caller must not close it).
    var nativeType: hid_t? {
        switch self {
        case .uint8: slipline_h5t_native_uint8()
        case .uint16: slipline_h5t_native_uint16()
        case .uint32: slipline_h5t_native_uint32()
        case .uint64: slipline_h5t_native_uint64()
        case .int8: slipline_h5t_native_int8()
        case .int16: slipline_h5t_native_int16()
        case .int32: slipline_h5t_native_int32()
        case .int64: slipline_h5t_native_int64()
        case .float32: slipline_h5t_native_float()
        case .float64: slipline_h5t_native_double()
        case .complex64, .complex128, .other: nil
        }
    }

    /// The little-endian file type used when writing (caller must not close it).
    var fileType: hid_t? {
        switch self {
        case .uint8: slipline_h5t_std_u8le()
        case .uint16: slipline_h5t_std_u16le()
        case .uint32: slipline_h5t_std_u32le()
        case .uint64: slipline_h5t_std_u64le()
        case .int8: slipline_h5t_std_i8le()
        case .int16: slipline_h5t_std_i16le()
        case .int32: slipline_h5t_std_i32le()
        case .int64: slipline_h5t_std_i64le()
        case .float32: slipline_h5t_ieee_f32le()
        case .float64: slipline_h5t_ieee_f64le()
        case .complex64, .complex128, .other: nil
        }
    }
}

/// Names of the real and imaginary members of a complex compound.
struct HDF5ComplexMembers: Equatable {
    var real: String
    var imag: String
}

extension HDF5ElementType {
    /// Classifies an open HDF5 datatype; for complex compounds also returns the member names.
    static func classify(_ type: hid_t) -> (HDF5ElementType, HDF5ComplexMembers?) {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, false): return (.uint8, nil)
            case (2, false): return (.uint16, nil)
            case (4, false): return (.uint32, nil)
            case (8, false): return (.uint64, nil)
            case (1, true): return (.int8, nil)
            case (2, true): return (.int16, nil)
            case (4, true): return (.int32, nil)
            case (8, true): return (.int64, nil)
            default: return (.other("\(size * 8)-bit integer"), nil)
            }
        case H5T_FLOAT:
            switch size {
            case 4: return (.float32, nil)
            case 8: return (.float64, nil)
            default: return (.other("float\(size * 8)"), nil)
            }
        case H5T_COMPOUND:
            let n = H5Tget_nmembers(type)
            let names = (0..<max(n, 0)).map { HDF5Library.takeString(H5Tget_member_name(type, UInt32($0))) ?? "?" }
            let described = HDF5ElementType.other("compound {\(names.joined(separator: ", "))}")
            guard n == 2 else { return (described, nil) }
            let pairs: [(String, String)] = [("r", "i"), ("real", "imag"), ("re", "im")]
            let lower = names.map { $0.lowercased() }
            guard let pair = pairs.first(where: { Set([$0.0, $0.1]) == Set(lower) }) else { return (described, nil) }
            var sizes: [Int] = []
            for index in 0..<2 {
                let member = H5Tget_member_type(type, UInt32(index))
                defer { _ = H5Tclose(member) }
                guard H5Tget_class(member) == H5T_FLOAT else { return (described, nil) }
                sizes.append(H5Tget_size(member))
            }
            let members = HDF5ComplexMembers(
                real: names[lower.firstIndex(of: pair.0)!], imag: names[lower.firstIndex(of: pair.1)!])
            switch (sizes[0], sizes[1]) {
            case (4, 4): return (.complex64, members)
            case (8, 8): return (.complex128, members)
            default: return (.other("compound {\(names.joined(separator: ", "))} of mixed float sizes"), nil)
            }
        case H5T_STRING: return (.other("string"), nil)
        case H5T_ENUM: return (.other("enum (e.g. numpy bool)"), nil)
        case H5T_ARRAY: return (.other("array type"), nil)
        case H5T_VLEN: return (.other("variable-length type"), nil)
        case H5T_OPAQUE: return (.other("opaque type"), nil)
        case H5T_REFERENCE: return (.other("reference type"), nil)
        default: return (.other("unknown HDF5 type class"), nil)
        }
    }
}
