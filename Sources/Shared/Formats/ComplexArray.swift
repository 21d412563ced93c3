/// A C-order array of complex single-precision values, interleaved (re, im, re, im, …).
public struct ComplexArray: Sendable, Equatable {
    /// Shape in C order.
    public var shape: [Int]
    /// `2 * shape.product` floats.
    public var interleaved: [Float]

    public init(shape: [Int], interleaved: [Float]) {
        precondition(interleaved.count == 2 * shape.reduce(1, *), "interleaved must hold 2 floats per element")
        self.shape = shape
        self.interleaved = interleaved
    }

    /// Number of complex elements.
    public var count: Int { interleaved.count / 2 }
}

/// A C-order array of complex single-precision values as separate real and imaginary planes.
public struct SplitComplexArray: Sendable, Equatable {
    public var shape: [Int]
    public var real: [Float]
    public var imag: [Float]

    public init(shape: [Int], real: [Float], imag: [Float]) {
        precondition(real.count == shape.reduce(1, *) && imag.count == real.count, "planes must match the shape")
        self.shape = shape
        self.real = real
        self.imag = imag
    }

    public var count: Int { real.count }
}
