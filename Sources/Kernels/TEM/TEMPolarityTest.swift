#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The polarity decision as a test (`TEMDetectorConfig.polarityAlpha`): are the frame's ridges of
/// one polarity significantly stronger than those of the other, or can the frame not tell?
///
/// Each polarity check gives, per tile of the frame, the excess ridge response of both
/// polarities (`RidgeThreshold.excessResponse(_:high:width:block:blocks:)`), and each tile keeps
/// its difference `a = bright − dark` summed over the checks so far. With no lines — or lines
/// whose evidence the frame's own structure matches — a tile is as likely to lean bright as dark:
/// `a` is symmetric about 0. The sum `S = Σ a` over the tiles is then a sign-flip (Rademacher)
/// sum given the |a|, and P(|S| ≥ z·√Σa²) ≤ 2·exp(−z²/2) (Hoeffding) whatever the tiles' sizes:
/// no distribution, no margin set by hand. The checks are summed inside each tile, not counted
/// as new tiles: the specimen's texture comes back check after check (it only drifts), so more
/// checks must not make its lean significant; the noise, new each frame, averages out. Lines of
/// one polarity lean many tiles the same way (`z` grows with the square root of their number);
/// a few strong features of the other polarity (dust, a bright spot, a bend contour's edge) move
/// `S` but, in few tiles, add as much to √Σa² and do not make the other side significant.
public struct TEMPolarityTest: Sendable, Equatable {
    /// The false-alarm rate of "this polarity" (two-sided).
    public var alpha: Double
    /// Each tile's bright − dark excess, summed over the checks so far.
    public private(set) var tiles: [Double] = []

    public init(alpha: Double = 0.01) {
        self.alpha = alpha
    }

    /// Adds one check's tiles (the same tiling for both polarities; a different number of tiles
    /// than before — another frame size — starts over).
    public mutating func add(dark: [Double], bright: [Double]) {
        precondition(dark.count == bright.count, "the two polarities' tiles differ in number")
        if tiles.count != dark.count { tiles = [Double](repeating: 0, count: dark.count) }
        for k in tiles.indices { tiles[k] += bright[k] - dark[k] }
    }

    /// Σ a and Σ a² over the tiles.
    public var sum: Double { tiles.reduce(0, +) }
    public var sumOfSquares: Double { tiles.reduce(0) { $0 + $1 * $1 } }

    /// The self-normalised sum S / √Σa²: positive when bright leads, 0 before any evidence.
    public var z: Double {
        let q = sumOfSquares
        return q > 0 ? sum / q.squareRoot() : 0
    }

    /// The bound on the chance of a lead as large as `z` without a polarity: 2·exp(−z²/2), at most 1.
    public var pValue: Double { min(1, 2 * exp(-z * z / 2)) }

    /// Whether one polarity leads significantly (at `alpha`).
    public var significant: Bool { sumOfSquares > 0 && pValue <= alpha }

    /// The polarity the test gives: bright or dark when significant, nil when the frame cannot tell.
    public var bright: Bool? { significant ? z > 0 : nil }
}
