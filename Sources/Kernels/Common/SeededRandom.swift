#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable random number generator (SplitMix64) so that every synthetic
/// dataset is reproducible from its seed on any platform. `SystemRandomNumberGenerator` cannot
/// be seeded, and Foundation's generators differ between platforms.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// A standard normal deviate (Box–Muller; one of the pair is discarded for simplicity).
    public mutating func gaussian() -> Double {
        var u = unit()
        while u <= .leastNonzeroMagnitude { u = unit() }
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// A Poisson deviate with mean `lambda` (Knuth for small means, normal approximation above 30).
    public mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda > 30 {
            return max(0, Int((lambda + lambda.squareRoot() * gaussian()).rounded()))
        }
        let limit = exp(-lambda)
        var k = 0
        var p = unit()
        while p > limit {
            k += 1
            p *= unit()
        }
        return k
    }

    /// An independent generator derived from this one and a stream number, so that
    /// e.g. frame 17's noise does not depend on how many draws frames 0…16 made.
    public func derived(_ stream: UInt64) -> SeededRandom {
        var mixer = SeededRandom(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return SeededRandom(seed: mixer.next())
    }
}
