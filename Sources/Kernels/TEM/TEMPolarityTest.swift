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
    /// Random sign patterns behind the exact sign-flip tail (`significant`); 0: the Hoeffding
    /// bound alone. The bound is tight only when one tile holds most of Σa²; with many tiles of
    /// like size the sum is near Gaussian and the bound asks |z| ≥ 3.26 where 2.58 has 1 %.
    public var randomisations: Int
    /// Each tile's bright − dark excess, summed over the checks so far.
    public private(set) var tiles: [Double] = []

    public init(alpha: Double = 0.01, randomisations: Int = 0) {
        self.alpha = alpha
        self.randomisations = randomisations
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

    /// Whether one polarity leads significantly (at `alpha`): the bound decides when it can;
    /// else, with `randomisations`, the sign-flip tail itself (`signFlipTail`).
    public var significant: Bool {
        guard sumOfSquares > 0 else { return false }
        if pValue <= alpha { return true }
        // Below |z| = 2 the test is not run (at most a loss of power: "not significant").
        guard randomisations > 0, abs(z) >= 2 else { return false }
        return signFlipTail(stopAbove: alpha) <= alpha
    }

    /// The randomisation p-value of |S|: (1 + hits) / (1 + B) over B sign patterns of the tiles
    /// (a fixed generator, so the same evidence gives the same answer), each hit a pattern whose
    /// |Σ ±a| reaches |S| — valid at any B. Counting stops once the p-value must exceed
    /// `stopAbove` (it is then a lower bound of the full count's, still above `stopAbove`).
    public func signFlipTail(stopAbove: Double = 1) -> Double {
        let b = max(1, randomisations)
        let observed = abs(sum) * (1 - 1e-12)
        let limit = stopAbove * Double(b + 1) - 1
        var rng = SeededRandom(seed: 0x5160_F11B)
        var hits = 0
        tiles.withUnsafeBufferPointer { a in
            let n = a.count
            for _ in 0..<b {
                var s = 0.0, k = 0
                while k < n {
                    var bits = rng.next()
                    let end = min(n, k + 64)
                    while k < end {
                        s += bits & 1 == 1 ? a[k] : -a[k]
                        bits >>= 1
                        k += 1
                    }
                }
                if abs(s) >= observed {
                    hits += 1
                    if Double(hits) > limit { break }
                }
            }
        }
        return Double(1 + hits) / Double(1 + b)
    }

    /// The polarity the test gives: bright or dark when significant, nil when the frame cannot tell.
    public var bright: Bool? { significant ? z > 0 : nil }
}
