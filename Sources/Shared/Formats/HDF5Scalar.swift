/// Swift element types that map one-to-one onto an HDF5 integer or float type.
///
/// Reading converts from the stored type (HDF5 performs the conversion, e.g. uint16 → Float);
/// writing stores the type itself, little-endian.
public protocol HDF5Scalar: Sendable {
    static var hdf5ElementType: HDF5ElementType { get }
}

extension UInt8: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .uint8 } }
extension UInt16: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .uint16 } }
extension UInt32: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .uint32 } }
extension UInt64: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .uint64 } }
extension Int8: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int8 } }
extension Int16: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int16 } }
extension Int32: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int32 } }
extension Int64: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension Float: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .float64 } }
