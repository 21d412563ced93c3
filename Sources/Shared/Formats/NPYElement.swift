/// Swift scalar types with a NumPy dtype, for typed views and the `.npy` writer.
public protocol NPYElement: Sendable {
    /// The dtype of this type in host byte order.
    static var npyDType: NPYDType { get }
}

extension UInt8: NPYElement { public static var npyDType: NPYDType { .uint8 } }
extension UInt16: NPYElement { public static var npyDType: NPYDType { .uint16 } }
extension UInt32: NPYElement { public static var npyDType: NPYDType { .uint32 } }
extension UInt64: NPYElement { public static var npyDType: NPYDType { .uint64 } }
extension Int8: NPYElement { public static var npyDType: NPYDType { .int8 } }
extension Int16: NPYElement { public static var npyDType: NPYDType { .int16 } }
extension Int32: NPYElement { public static var npyDType: NPYDType { .int32 } }
extension Int64: NPYElement { public static var npyDType: NPYDType { .int64 } }
extension Float: NPYElement { public static var npyDType: NPYDType { .float32 } }
extension Double: NPYElement { public static var npyDType: NPYDType { .float64 } }
