#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws the nuisances of a synthetic 4D-STEM cube over wide, physically plausible ranges
/// (`ctl synth stem4d --randomize`), so that quality is measured as a distribution over many
/// draws rather than on a preset: detector size, bright-field disk radius and offset,
/// convergence angle, scan–detector rotation, dose (down to one count per bright-field pixel),
/// dark-field level (a few % of the bright field), slab depth, thickness and matrix background (with a wedge), and either
/// particles (radii 1.5–8 px with a spread, volume fractions 1–20 % at projected coverages 5–40 %, chains of touching spheres,
/// overlapping projections, some cut by the scan edge) or lines (number, width, faint and
/// inclined lines, crossings, lines along the stereo baseline, bowed and S-shaped, curving in
/// depth).
public enum STEM4DSynthRandomizer {
    /// The parameters of draw `seed` for a `scan` × `scan` cube of `content`.
    public static func draw(_ content: STEM4DSynthParams.Content, scan: Int, seed: UInt64) -> STEM4DSynthParams {
        var rng = SeededRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 17)
        var p = STEM4DSynthParams()
        p.seed = seed
        p.content = content
        p.scanRows = scan; p.scanCols = scan
        drawOptics(&p, &rng)
        drawSlab(&p, &rng)
        switch content {
        case .spheres: drawSpheres(&p, &rng)
        case .lines: drawLines(&p, &rng)
        }
        return p
    }

    /// Detector, disk, convergence angle, rotation, dose and dark-field level.
    static func drawOptics(_ p: inout STEM4DSynthParams, _ rng: inout SeededRandom) {
        p.detRows = Int(rng.uniform(24...48).rounded()); p.detCols = Int(rng.uniform(24...48).rounded())
        let side = Double(min(p.detRows, p.detCols))
        p.bfRadius = rng.uniform(0.22...0.40) * side
        let room = max(0, side / 2 - p.bfRadius - 1.5)
        p.bfCx = Double(p.detCols - 1) / 2 + rng.uniform(-1...1) * min(room, 0.12 * side)
        p.bfCy = Double(p.detRows - 1) / 2 + rng.uniform(-1...1) * min(room, 0.12 * side)
        p.convergenceMrad = rng.uniform(40...120)
        p.scanRotationDeg = rng.uniform(-180...180)
        p.bfCounts = exp(rng.uniform(log(1)...log(100)))
        // Diffuse scattering next to the disk: a small fraction of the bright field.
        p.dfCounts = p.bfCounts * rng.uniform(0.002...0.08)
    }

    /// Slab thickness and depth, matrix absorption and its wedge.
    static func drawSlab(_ p: inout STEM4DSynthParams, _ rng: inout SeededRandom) {
        p.slabThickness = rng.uniform(16...60)
        p.slabTop = -p.slabThickness / 2 + rng.uniform(-0.25...0.25) * p.slabThickness
        p.backgroundAbsorption = rng.uniform(0...0.3)
        p.backgroundGradient = rng.uniform(-0.5...0.5)
    }

    /// Radii, contrast, volume fraction and projected coverage (the slab thickness follows
    /// from both: a 20 % fraction in a thick slab covers the projection several times over,
    /// which no projection method resolves), chains, edge cuts.
    static func drawSpheres(_ p: inout STEM4DSynthParams, _ rng: inout SeededRandom) {
        p.sphereRadiusMin = rng.uniform(1.5...5)
        p.sphereRadiusMax = min(8, p.sphereRadiusMin + rng.uniform(0...3))
        p.sphereContrast = rng.uniform(0.25...0.8)
        p.sphereLateralGap = -1e9  // projections may overlap (finite: the truth is JSON)
        // Crowded on purpose (issue 12's independent cube: 120 of 149 spheres overlap another in
        // projection): 20–80 % of the spheres touch an earlier one, half of those growing chains,
        // and the projected coverage reaches 50 %.
        p.sphereChainFraction = rng.uniform(0.2...0.8)
        p.margin = rng.uniform(-1...3)
        let fraction = rng.uniform(0.01...0.20), coverage = rng.uniform(0.1...0.5)
        let a = p.sphereRadiusMin, b = p.sphereRadiusMax
        let meanCube = b > a ? (pow(b, 4) - pow(a, 4)) / (4 * (b - a)) : a * a * a
        let meanSquare = b > a ? (pow(b, 3) - pow(a, 3)) / (3 * (b - a)) : a * a
        // coverage = N·π⟨r²⟩ / area and fraction = N·(4/3)π⟨r³⟩ / (area · thickness).
        let thickness = coverage * 4 * meanCube / (3 * fraction * meanSquare)
        p.slabThickness = min(60, max(2 * p.sphereRadiusMax + 2, thickness))
        p.slabTop = -p.slabThickness / 2 + rng.uniform(-0.25...0.25) * p.slabThickness
        let volume = Double(p.scanRows * p.scanCols) * p.slabThickness
        p.sphereCount = max(1, Int((fraction * volume / (4.0 / 3 * .pi * meanCube)).rounded()))
    }

    /// Number, width, contrast range (faint down to half the strongest), run, inclination.
    static func drawLines(_ p: inout STEM4DSynthParams, _ rng: inout SeededRandom) {
        let scan = Double(min(p.scanRows, p.scanCols))
        p.lineCount = Int(rng.uniform(1...max(1, scan / 16)).rounded())
        p.lineSigma = rng.uniform(0.7...2.0)
        p.lineContrast = rng.uniform(0.2...0.6)
        p.lineContrastMin = p.lineContrast * 0.5
        p.lineRunMax = rng.uniform(0.3...0.6) * scan
        p.lineRunMin = p.lineRunMax / 2
        p.lineRandomDepth = true
        p.lineAlongBaseline = true
        p.margin = rng.uniform(2...6)
        // Shape (drawn last, so the draws above keep their values): S-shaped lines and lines
        // curving in depth, besides the bow every line has.
        p.lineWiggle = rng.uniform(0...0.12)
        p.lineDepthBow = rng.uniform(0...0.3)
    }
}
