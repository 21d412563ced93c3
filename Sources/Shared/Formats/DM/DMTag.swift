/// One node of a DigitalMicrograph tag tree: a group of labelled (or unlabelled, ordered)
/// children, or a data value. Large arrays are not read: they keep where their bytes are.
public indirect enum DMTag: Sendable, Equatable {
    case group([DMEntry])
    case value(DMValue)

    /// The child labelled `label` of a group.
    public subscript(_ label: String) -> DMTag? {
        guard case .group(let entries) = self else { return nil }
        return entries.first { $0.label == label }?.tag
    }

    /// The children of a group, in file order.
    public var children: [DMTag] {
        guard case .group(let entries) = self else { return [] }
        return entries.map(\.tag)
    }

    /// A number (scalar of any numeric type), else nil.
    public var number: Double? {
        if case .value(.number(let v)) = self { return v }
        return nil
    }

    /// Text: a string, or a short array of 16-bit characters (how DM stores units and names).
    public var text: String? {
        switch self {
        case .value(.text(let s)): return s
        default: return nil
        }
    }

    /// Follows labels from this node.
    public func at(_ path: String...) -> DMTag? {
        var node: DMTag? = self
        for label in path { node = node?[label] }
        return node
    }
}

/// A labelled child of a DM tag group (DM labels may be empty: list items).
public struct DMEntry: Sendable, Equatable {
    public var label: String
    public var tag: DMTag
}

/// The data of a DM tag.
public enum DMValue: Sendable, Equatable {
    case number(Double)
    case text(String)
    /// An array left in the file: element type code (DM's encoded type), element count, and
    /// the byte offset of its first element.
    case array(elementType: Int, count: Int, offset: Int)
    /// A struct (DM type 15) of numeric fields.
    case structure([Double])
}
