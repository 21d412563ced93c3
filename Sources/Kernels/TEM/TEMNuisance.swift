#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything about a randomised video that is not the dislocations themselves: how lines look,
/// what else is in the specimen, how the stage moves and what the camera adds. Drawn once per
/// video (`draw`) from wide, physically plausible ranges; `nil` in the presets' parameters, which
/// keeps their videos exactly as before.
public struct TEMNuisance: Codable, Sendable, Equatable {
    /// How a dislocation line is imaged.
    public enum LineStyle: String, Codable, Sendable, CaseIterable {
        /// Bright field: one dark line.
        case dark
        /// Two dark lines `doubleSeparation` apart (a doubled image off the exact Bragg condition).
        case double
        /// Weak-beam dark field: bright lines on a dark background (the whole image inverted).
        case bright
        /// A dark line whose contrast comes and goes along it (dotted at pinning points).
        case dotted
    }

    public var lineStyle: LineStyle
    /// Centre-to-centre distance of the two images of a `double` line, px.
    public var doubleSeparation: Double
    /// `dotted`: period along the line (px) and depth of the modulation (0 none, 1 fully dotted).
    public var dotPeriod: Double
    public var dotDepth: Double

    /// Broad dark bands fixed to the specimen (bent foil), drifting slowly across it.
    public var bendContours: [BendContour]
    /// Dark spots fixed to the specimen (contamination, dust on the foil).
    public var spots: [Spot]
    /// Illumination: a linear gradient (relative change across the frame, direction in degrees)
    /// and a radial vignette (relative darkening at the corners); fixed to the camera.
    public var gradient: Double
    public var gradientAngleDegrees: Double
    public var vignette: Double

    /// Gaussian blur σ of the optics (px, 0 = none), applied before the camera noise.
    public var blurSigma: Double
    /// Electrons per pixel at full intensity (shot noise), 0 = no shot noise.
    public var dose: Double
    /// Gaussian read noise σ (intensity units), fixed-pattern gain σ (relative, per pixel, the
    /// same in every frame) and row-stripe offset σ (per row and frame).
    public var readNoise: Double
    public var fixedPattern: Double
    public var rowStripes: Double
    /// Relative σ of the frame-to-frame exposure (gain) fluctuation.
    public var flicker: Double
    /// The lines' visibility the noise was set for: line depth over the σ of everything else at
    /// the line scale (the specimen's mottle and the camera noise together; `TEMLineVisibility`
    /// measures it on the rendered frame). Nil in parameters written before it was drawn.
    public var visibility: Double? = nil
    /// Share of that structure's variance that is the specimen's own mottle (the rest is camera
    /// noise), and the mottle's amplitude it led to: the paper's background is scaled about its
    /// mean by this factor (1 = the paper's full [floor, 1] range; nil = 1).
    public var backgroundShare: Double? = nil
    public var backgroundAmplitude: Double? = nil

    /// Stage drift: a steady velocity (px/frame) plus per-frame jitter σ (px), mean-reverting so
    /// the specimen stays within `driftBound` px of where it started.
    public var driftVelocity: TEMPoint
    public var jitter: Double
    public var driftBound: Double
    /// Chance that a frame is dropped (the video skips a time step) or repeated (the previous
    /// frame is shown again, identical).
    public var pDrop: Double
    public var pRepeat: Double

    /// A bend contour: a band of darkening `depth` and half-width `width` around a gently curved
    /// line through `centre` at `angleDegrees`, moving `speed` px/frame along its normal.
    public struct BendContour: Codable, Sendable, Equatable {
        public var centre: TEMPoint
        public var angleDegrees: Double
        public var width: Double
        public var depth: Double
        public var curvature: Double
        public var speed: Double
    }

    /// A dark Gaussian spot of radius `radius` (px) and darkening `depth`.
    public struct Spot: Codable, Sendable, Equatable {
        public var centre: TEMPoint
        public var radius: Double
        public var depth: Double
    }

    /// Draws every nuisance for a `width`×`height` video. Each effect is present in part of the
    /// draws and absent in others, so the quality distribution covers clean and messy videos.
    public static func draw(width: Int, height: Int, rng: inout SeededRandom) -> TEMNuisance {
        let w = Double(width), h = Double(height)
        let styles: [LineStyle] = [.dark, .dark, .double, .bright, .dotted]
        let style = styles[Int(rng.unit() * Double(styles.count))]
        let bends = (0..<Int(rng.uniform(0...2.999))).map { _ in
            BendContour(centre: TEMPoint(rng.uniform(0...w), rng.uniform(0...h)), angleDegrees: rng.uniform(0...180),
                        width: rng.uniform(15...70), depth: rng.uniform(0.1...0.45),
                        curvature: rng.uniform(-0.004...0.004), speed: rng.uniform(-0.1...0.1))
        }
        let spots = (0..<Int(rng.uniform(0...12.999))).map { _ in
            Spot(centre: TEMPoint(rng.uniform(0...w), rng.uniform(0...h)), radius: rng.uniform(2...9),
                 depth: rng.uniform(0.1...0.5))
        }
        let driftSpeed = rng.unit() < 0.3 ? 0 : rng.uniform(0...3)
        let driftAngle = rng.uniform(0...(2 * .pi))
        return TEMNuisance(
            lineStyle: style, doubleSeparation: rng.uniform(1.5...3.0),
            dotPeriod: rng.uniform(6...20), dotDepth: rng.uniform(0.4...0.85),
            bendContours: bends, spots: spots,
            gradient: rng.unit() < 0.3 ? 0 : rng.uniform(0...0.3), gradientAngleDegrees: rng.uniform(0...360),
            vignette: rng.unit() < 0.3 ? 0 : rng.uniform(0...0.35),
            blurSigma: rng.unit() < 0.3 ? 0 : rng.uniform(0.3...1.3),
            dose: rng.unit() < 0.4 ? 0 : exp(rng.uniform(log(30)...log(1000))),
            readNoise: rng.uniform(0.003...0.035),
            fixedPattern: rng.unit() < 0.5 ? 0 : rng.uniform(0...0.04),
            rowStripes: rng.unit() < 0.5 ? 0 : rng.uniform(0...0.02),
            flicker: rng.unit() < 0.3 ? 0 : rng.uniform(0...0.12),
            driftVelocity: TEMPoint(cos(driftAngle), sin(driftAngle)) * driftSpeed,
            jitter: rng.unit() < 0.3 ? 0 : rng.uniform(0...2),
            driftBound: rng.uniform(8...30),
            pDrop: rng.unit() < 0.5 ? 0 : rng.uniform(0...0.05),
            pRepeat: rng.unit() < 0.5 ? 0 : rng.uniform(0...0.05))
    }
}
