#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gap closing on one cost scale: the cost of joining a tracklet's end to a later start is the
/// negative log-likelihood ratio (nats) of "the start continues the end's line" against "the
/// start is unrelated to it", so position, shape and gap length add up in the same unit and a
/// join is worth making exactly when its ratio beats 1 (not joining costs 0 on both sides).
///
/// - **Position**: the start's glide shift from where the end would be — standing still (a stop
///   is a legitimate motion state) or going on at the end's velocity, the closer counting — is
///   Gaussian with σ(g) = σ₀ + s·g: σ₀ the detector's positional noise, s the lines' glide speed
///   (glide comes in bursts that last several frames, so the spread grows with the gap, not with
///   its square root). Unrelated: uniform over the width W the tracklets occupy.
/// - **Shape**: the mean residual after the glide shift is half-normal with the detector's own
///   scale σᵣ; unrelated: uniform up to the shape gate R.
/// - **Gap**: a line hidden for g frames (faint, merged with a neighbour, under a crossing line)
///   has a gap-length prior p(g) ∝ 1/g over the T frames linked (scale-free: no preferred hiding
///   time); an unrelated start falls anywhere in those T frames. A short gap is therefore worth
///   more than a long one at the same position error, and a long one is still closed when
///   nothing better competes.
///
/// σ₀, σᵣ, s, W and T are measured on the tracklets being linked (`measure`), not set by hand.
public struct TEMGapLikelihood: Sendable, Equatable {
    /// Shape noise: the residual scale of a line against itself a few frames on, px.
    public var sigmaShape: Double
    /// Position noise at zero gap, px.
    public var sigma0: Double
    /// Root-mean-square glide speed along the lines' normals, px/frame.
    public var speed: Double
    /// Extent of the tracklets' curves (diagonal of their bounding box), px.
    public var width: Double
    /// Largest shape residual a join may have, px.
    public var shapeGate: Double
    /// Frames spanned by the tracklets.
    public var span: Double

    public init(sigmaShape: Double, sigma0: Double, speed: Double, width: Double, shapeGate: Double, span: Double,
                diffusion: Double = 0) {
        self.sigmaShape = sigmaShape; self.sigma0 = sigma0; self.speed = speed; self.width = width
        self.shapeGate = shapeGate; self.span = span; self.diffusion = diffusion
    }

    /// Long-time diffusion of a line's position along its normal, px²/frame (0: none measured,
    /// the spread grows linearly at `speed` for ever).
    public var diffusion: Double = 0

    /// Position spread after a gap of `gap` frames: a persistent random walk — glide at `speed`
    /// over short gaps (a burst lasts several frames), diffusion over long ones (bursts and stops
    /// in both directions inside a pile-up's bounds), with persistence time τ = D / s².
    public func sigma(gap: Int) -> Double {
        let g = Double(max(1, gap))
        guard diffusion > 0 else { return sigma0 + speed * g }
        let tau = diffusion / (speed * speed)
        let walk = 2 * speed * speed * tau * tau * (g / tau - 1 + exp(-g / tau))
        return (sigma0 * sigma0 + walk).squareRoot()
    }

    /// Positions further than this from either motion model's prediction are not candidates
    /// (a ratio below 1 for any shape: 4σ costs 8 nats).
    public func reach(gap: Int) -> Double { 4 * sigma(gap: gap) }

    /// −ln(likelihood ratio) of a join: `deviation` px from the better motion model, shape
    /// `residual` px, `gap` frames from the end's last frame to the start's first.
    public func cost(deviation: Double, residual: Double, gap: Int) -> Double {
        let s = sigma(gap: gap), g = Double(max(1, gap))
        let position = deviation * deviation / (2 * s * s) + log(s * (2 * Double.pi).squareRoot()) - log(width)
        let shape = residual * residual / (2 * sigmaShape * sigmaShape) + log(sigmaShape * (Double.pi / 2).squareRoot()) - log(shapeGate)
        // p(g) = 1 / (g·H_T) against 1/T: H_T the harmonic number of T.
        let harmonic = log(span) + 0.5772156649 + 1 / (2 * span)
        let time = -log(span / (g * harmonic))
        return position + shape + time
    }

    /// The scales measured on `tracklets`: σᵣ from each tracklet's first curve against its
    /// representative start curve (a few frames apart: the detector's noise, not the line's
    /// change), s from the end and start velocities along the curves' normals, W and T from
    /// their extent. Floors: 0.5 px of positional noise (the detector's), 0.05 px/frame.
    public static func measure(_ tracklets: [TEMTracklet], shapeGate: Double) -> TEMGapLikelihood {
        var residuals: [Double] = [], speeds: [Double] = [], spreads: [Double] = []
        var lo = TEMPoint(Double.infinity, Double.infinity), hi = -lo
        var first = Int.max, last = Int.min
        for t in tracklets {
            first = min(first, t.firstFrame); last = max(last, t.lastFrame)
            for c in [t.first, t.last] { let (a, b) = CurveMatching.bounds(c); lo = pointwiseMin(lo, a); hi = pointwiseMax(hi, b) }
            guard t.frames >= 6 else { continue }
            if t.startFrame != t.firstFrame, let g = CurveMatching.glide(t.first, t.start), g.overlap >= 0.5 {
                residuals.append(g.residual)
            }
            // The net glide from the start's representative curve to the end's over the frames
            // between: a sample of the long-time spread (shift² / 2Δt estimates D).
            let dt = t.endFrame - t.startFrame
            if dt >= 20, let g = CurveMatching.glide(t.start, t.end), g.overlap >= 0.5 {
                spreads.append(g.shift * g.shift / (2 * Double(dt)))
            }
            for (v, c) in [(t.startVelocity, t.start), (t.endVelocity, t.end)] {
                let n = TEMTracker.glideNormal(c)
                speeds.append(v.x * n.x + v.y * n.y)
            }
        }
        // Mean absolute residual of Gaussian noise is 0.80 σ; the median is robust to the odd
        // fragment whose representative is another piece.
        let r = residuals.sorted()
        let sigmaShape = max(0.5, r.isEmpty ? 0.5 : r[r.count / 2] / 0.8)
        let speed = max(0.05, speeds.isEmpty ? 0.05 : (speeds.map { $0 * $0 }.reduce(0, +) / Double(speeds.count)).squareRoot())
        let width = max(10, hi.x > lo.x ? TEMPolyline.norm(hi - lo) : 10)
        // D: the median of shift² / 2Δt is 0.455 D for Gaussian spread (χ²₁'s median); at least
        // five tracklets long enough to say anything, else the linear growth alone.
        let d = spreads.sorted()
        let diffusion = d.count >= 5 ? d[d.count / 2] / 0.455 : 0
        return TEMGapLikelihood(sigmaShape: sigmaShape, sigma0: sigmaShape, speed: speed, width: width,
                                shapeGate: max(shapeGate, 3 * sigmaShape), span: Double(max(2, last - first + 1)),
                                diffusion: diffusion)
    }
}
