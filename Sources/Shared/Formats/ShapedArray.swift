/// A C-order array of real values with its shape.
public struct ShapedArray<Element: Sendable>: Sendable {
    public var shape: [Int]
    public var values: [Element]

    public init(shape: [Int], values: [Element]) {
        precondition(values.count == shape.reduce(1, *), "values must hold shape.product elements")
        self.shape = shape
        self.values = values
    }
}

extension ShapedArray: Equatable where Element: Equatable {}
