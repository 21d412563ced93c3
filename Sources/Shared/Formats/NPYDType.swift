/// A NumPy scalar dtype as written in an `.npy` header (`'<f4'`, `'|u1'`, `'>c8'`, …).
///
/// Structured and object dtypes are not represented; the header parser refuses them.
public struct NPYDType: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Character, Sendable, Hashable {
        case bool = "b", int = "i", uint = "u", float = "f", complex = "c"
    }

    public enum ByteOrder: Sendable, Hashable {
        case little, big
        /// Single-byte types (`|u1`), where order does not apply.
        case notApplicable

        /// The byte order of the machine running this code.
        public static var host: ByteOrder {
            #if _endian(little)
            .little
            #else
            .big
            #endif
        }
    }

    public var kind: Kind
    /// Bytes per element (a complex64 element is 8).
    public var itemSize: Int
    public var byteOrder: ByteOrder

    public init(kind: Kind, itemSize: Int, byteOrder: ByteOrder) {
        self.kind = kind
        self.itemSize = itemSize
        self.byteOrder = itemSize == 1 ? .notApplicable : byteOrder
    }

    /// Parses a `descr` string such as `<f4`; nil for anything not a plain numeric type.
    /// `=` (native) is resolved to the host's byte order.
    public init?(descr: String) {
        let chars = Array(descr)
        guard chars.count >= 3, let kind = Kind(rawValue: chars[1]), let size = Int(String(chars[2...])) else { return nil }
        let order: ByteOrder
        switch chars[0] {
        case "<": order = .little
        case ">": order = .big
        case "|": order = .notApplicable
        case "=": order = .host
        default: return nil
        }
        let valid: Set<Int> =
            switch kind {
            case .bool: [1]
            case .int, .uint: [1, 2, 4, 8]
            case .float: [2, 4, 8]
            case .complex: [8, 16]
            }
        guard valid.contains(size) else { return nil }
        // '|' only makes sense for single bytes; numpy never writes '|f4'.
        guard order != .notApplicable || size == 1 else { return nil }
        self.init(kind: kind, itemSize: size, byteOrder: order)
    }

    /// The header form, e.g. `<f4`.
    public var descr: String {
        let order: String =
            switch byteOrder {
            case .little: "<"
            case .big: ">"
            case .notApplicable: "|"
            }
        return "\(order)\(kind.rawValue)\(itemSize)"
    }

    public var description: String { descr }

    /// Whether values can be used without byte swapping on this machine.
    public var isHostOrder: Bool { byteOrder == .notApplicable || byteOrder == .host }

    /// Whether Slipline can convert this dtype (float16 is recognised but not converted).
    public var isSupported: Bool { !(kind == .float && itemSize == 2) }

    public static let bool = NPYDType(kind: .bool, itemSize: 1, byteOrder: .notApplicable)
    public static let uint8 = NPYDType(kind: .uint, itemSize: 1, byteOrder: .notApplicable)
    public static let int8 = NPYDType(kind: .int, itemSize: 1, byteOrder: .notApplicable)
    public static let uint16 = NPYDType(kind: .uint, itemSize: 2, byteOrder: .host)
    public static let uint32 = NPYDType(kind: .uint, itemSize: 4, byteOrder: .host)
    public static let uint64 = NPYDType(kind: .uint, itemSize: 8, byteOrder: .host)
    public static let int16 = NPYDType(kind: .int, itemSize: 2, byteOrder: .host)
    public static let int32 = NPYDType(kind: .int, itemSize: 4, byteOrder: .host)
    public static let int64 = NPYDType(kind: .int, itemSize: 8, byteOrder: .host)
    public static let float32 = NPYDType(kind: .float, itemSize: 4, byteOrder: .host)
    public static let float64 = NPYDType(kind: .float, itemSize: 8, byteOrder: .host)
    public static let complex64 = NPYDType(kind: .complex, itemSize: 8, byteOrder: .host)
    public static let complex128 = NPYDType(kind: .complex, itemSize: 16, byteOrder: .host)
}
