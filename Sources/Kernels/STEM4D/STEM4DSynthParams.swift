/// Parameters of a synthetic 4D-STEM cube built by reciprocity (see `STEM4DSynthesizer`).
/// Lengths are in scan pixels except where marked "det px"; depth z is relative to the focal
/// plane, positive downstream.
public struct STEM4DSynthParams: Sendable, Hashable, Codable {
    /// What the slab contains.
    public enum Content: String, Sendable, Hashable, Codable {
        /// Dislocation-like 3D curves crossing the slab (dark in bright field).
        case lines
        /// Spherical particles (dark in bright field).
        case spheres
    }

    /// Scan and detector shapes.
    public var scanRows = 32, scanCols = 32
    public var detRows = 32, detCols = 32
    /// Bright-field disk centre and radius (det px).
    public var bfCx = 15.3, bfCy = 16.2, bfRadius = 10.0
    /// Convergence semi-angle α (mrad); tilt per det px is α / bfRadius.
    public var convergenceMrad = 100.0
    /// Rotation of the scan axes against the detector axes, degrees: a detector offset
    /// (dx, dy) tilts the beam along (dx, dy) turned by this angle in scan coordinates.
    public var scanRotationDeg = 0.0
    /// Mean counts per bright-field detector pixel in vacuum.
    public var bfCounts = 40.0
    /// Mean counts per dark-field pixel next to the disk (decays outwards).
    public var dfCounts = 1.0
    /// Slab: z from `slabTop` to `slabTop + slabThickness`.
    public var slabTop = -15.0, slabThickness = 30.0
    /// Absorbed fraction of the matrix (an amorphous slab) at the scan centre, and its
    /// relative change from the left to the right scan edge (a thickness wedge).
    public var backgroundAbsorption = 0.0
    public var backgroundGradient = 0.0
    /// Spheres or lines.
    public var content = Content.spheres
    /// Spheres: count, radius range, contrast (absorbed fraction through a diameter).
    public var sphereCount = 3
    public var sphereRadiusMin = 3.0, sphereRadiusMax = 4.0
    public var sphereContrast = 0.5
    /// Minimum lateral gap between sphere outlines, so projections stay separate
    /// (very negative: projections may overlap; the spheres still do not interpenetrate).
    public var sphereLateralGap = 3.0
    /// Fraction of spheres placed touching an earlier one (chains and clusters).
    public var sphereChainFraction = 0.0
    /// Spheres: each scan pixel sees the chord averaged over a centred box of this width
    /// (scan px; a probe or pixel that is not small against the scan step: 1 = the pixel's
    /// box). nil or 0: sampled at the pixel centre (a focused probe), as every cube before.
    public var sphereProbeBox: Double? = nil
    /// Lines: count, Gaussian half-width σ, peak contrast, lateral run across the slab.
    public var lineCount = 2
    public var lineSigma = 1.0
    public var lineContrast = 0.5
    public var lineRunMin = 8.0, lineRunMax = 20.0
    /// Lines: each line's contrast drawn from `lineContrastMin…lineContrast` (faint lines);
    /// depth at each end drawn anywhere in the slab (inclined lines) instead of top to bottom;
    /// directions near the scan x axis (the default stereo baseline) allowed.
    public var lineContrastMin: Double? = nil
    public var lineRandomDepth = false
    public var lineAlongBaseline = false
    /// Lines: shape beyond the single in-plane bow (±15 % of the run, always drawn): an S-shaped
    /// second harmonic of up to ± `lineWiggle` × run across the line, and a depth that bows by
    /// up to ± `lineDepthBow` × slab thickness between the ends (clipped to the slab) instead
    /// of running straight. 0 (the default) draws nothing more, so older cubes are unchanged.
    public var lineWiggle = 0.0
    public var lineDepthBow = 0.0
    /// Keep objects this far from the scan edges.
    public var margin = 4.0
    /// Seed of every random choice and of the noise.
    public var seed: UInt64 = 1

    /// Small defaults for tests: 32×32 scan × 32×32 detector, a few spheres.
    public init() {}

    /// Benchmark-sized cube: 128×128 scan × 64×64 detector (128 MiB as uint16), spheres.
    public static var benchmark: STEM4DSynthParams {
        var p = STEM4DSynthParams()
        p.scanRows = 128; p.scanCols = 128; p.detRows = 64; p.detCols = 64
        p.bfCx = 31.4; p.bfCy = 32.3; p.bfRadius = 20
        p.sphereCount = 60; p.margin = 8
        return p
    }

    /// Particle-quality preset: 256×256 scan × 32×32 detector, 200 spheres in a 40 px slab.
    public static var particles: STEM4DSynthParams {
        var p = STEM4DSynthParams()
        p.scanRows = 256; p.scanCols = 256
        p.bfRadius = 12; p.bfCx = 15.6; p.bfCy = 15.8
        p.slabTop = -20; p.slabThickness = 40
        p.sphereCount = 200; p.sphereRadiusMin = 3; p.sphereRadiusMax = 5; p.margin = 10
        return p
    }

    /// Dislocation-quality preset: 256×256 scan × 32×32 detector, 10 curves in a 40 px slab.
    public static var dislocations: STEM4DSynthParams {
        var p = STEM4DSynthParams.particles
        p.content = .lines
        p.lineCount = 10; p.lineRunMin = 20; p.lineRunMax = 60
        return p
    }
}
