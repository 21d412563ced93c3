#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of a synthetic truth that the data can show: the true lines where the noise-free,
/// blurred field still has a phase vortex.
///
/// Blur is a convolution of the complex field, and it annihilates what it cannot resolve: a
/// dipole a few σ apart, a loop of radius ≲ 2σ, whose vortices meet and vanish in the field
/// itself. No phase-based finder can recover a vortex that is not in the data, so scoring
/// recall against such lines measures the generator, not the finder. The noise-free field of
/// the same draw (same blur, no noise) is made, its plaquette residues taken inside the true
/// crystal, and a true line point counts as *resolvable* when a residue lies within the match
/// tolerance. Recall is then over resolvable points; a detected point is correct when it lies
/// within the tolerance of a true line or of a residue of the noise-free field (a loop that
/// blur has shrunk is really where the finder sees it). The raw score, against every true
/// line, is always reported beside it.
public enum BCDIResolvableTruth {
    /// Residue centres of the noise-free field of `spec` inside its true crystal.
    public static func residues(of spec: BCDISyntheticSpec) -> [SIMD3<Double>] {
        let v = noiseFree(spec)
        return residues(re: v.re, im: v.im, support: v.support, shape: v.shape)
    }

    /// The volume of `spec` without its noise.
    public static func noiseFree(_ spec: BCDISyntheticSpec) -> BCDISyntheticVolume {
        var clean = spec
        clean.noise = 0
        return BCDISynthetic.make(clean)
    }

    /// Residue centres of the field `re + i·im` inside `support` (the true crystal).
    public static func residues(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape) -> [SIMD3<Double>] {
        let phase = zip(re, im).map { atan2f($0.1, $0.0) }
        return BCDIWinding.residues(phase: phase, support: support, shape: shape).map(\.center)
    }

    /// Recall over the true points within `tolerance` of a residue in `residues`, precision
    /// against true lines and residues together (see the type's documentation).
    public static func score(truth: [[SIMD3<Double>]], residues: [SIMD3<Double>], detected: [BCDILine], tolerance: Double = 1.5) -> BCDILineScore {
        let grid = BCDIPointGrid(points: residues, cell: tolerance)
        let truthLines = truth.map { BCDILine(points: $0, closed: false) }
        let tp = truthLines.flatMap { BCDIEvaluation.resample($0, step: 0.25) }.filter { grid.hasPoint(within: tolerance, of: $0) }
        let dp = detected.flatMap { BCDIEvaluation.resample($0, step: 0.25) }
        let tSeg = truthLines.flatMap(\.segments), dSeg = detected.flatMap(\.segments)
        let dt = tp.map { BCDIEvaluation.distance($0, to: dSeg) }
        let found = dt.filter { $0 <= tolerance }.count
        let correct = dp.filter { BCDIEvaluation.distance($0, to: tSeg) <= tolerance || grid.hasPoint(within: tolerance, of: $0) }.count
        let recall = tp.isEmpty ? 1 : Double(found) / Double(tp.count)
        let precision = dp.isEmpty ? (tp.isEmpty ? 1 : 0) : Double(correct) / Double(dp.count)
        let finite = dt.filter(\.isFinite)
        let mean = finite.isEmpty ? 0 : finite.reduce(0, +) / Double(finite.count)
        return BCDILineScore(recall: recall, precision: precision, meanDistance: mean, truthPoints: tp.count, detectedPoints: dp.count)
    }

    /// One true line against the noise-free blurred field and the finder.
    public struct LineStatus: Hashable, Sendable {
        /// Resampled points of the line (every 0.25 voxel).
        public var points: Int
        /// Fraction of them within the tolerance of a residue of the noise-free field: what of
        /// the line the blurred data still carry.
        public var carried: Double
        /// Fraction of them within the tolerance of a detected line.
        public var found: Double
        /// Whether the blurred field still carries the line: at least half of its points lie by
        /// a residue. A loop or a dipole that blur annihilates has (nearly) none left; a line
        /// whose ends only are off (the field's residues stop a plaquette short of the surface)
        /// still counts whole.
        public var present: Bool { carried >= 0.5 }
        /// The same fraction against the residues of the noise-free field after the finder's own
        /// deconvolution (its measured blur and regulariser, `BCDIVolumeAnalysis.deblur`'s
        /// companion); nil when the harness did not deconvolve. What of the line a finder that
        /// deconvolves as this one does could give back at best.
        public var restored: Double? = nil
        /// Whether the deconvolved noise-free field carries the line (half its points by a
        /// residue); `present` when there was no deconvolution.
        public var restorable: Bool { (restored ?? carried) >= 0.5 }
    }

    /// Per true line, what the noise-free field carries of it and what was found; `restored`:
    /// the residues of the noise-free field after the finder's deconvolution, if any.
    public static func lines(truth: [[SIMD3<Double>]], residues: [SIMD3<Double>], detected: [BCDILine], tolerance: Double = 1.5,
                             restored: [SIMD3<Double>]? = nil) -> [LineStatus] {
        let grid = BCDIPointGrid(points: residues, cell: tolerance)
        let restoredGrid = restored.map { BCDIPointGrid(points: $0, cell: tolerance) }
        let dSeg = detected.flatMap(\.segments)
        return truth.map { line in
            let pts = BCDIEvaluation.resample(BCDILine(points: line, closed: false), step: 0.25)
            let carried = pts.filter { grid.hasPoint(within: tolerance, of: $0) }.count
            let found = pts.filter { BCDIEvaluation.distance($0, to: dSeg) <= tolerance }.count
            let n = Double(max(1, pts.count))
            var status = LineStatus(points: pts.count, carried: Double(carried) / n, found: Double(found) / n)
            if let g = restoredGrid { status.restored = Double(pts.filter { g.hasPoint(within: tolerance, of: $0) }.count) / n }
            return status
        }
    }

    /// Recall over the points of the lines the blurred field still carries (`LineStatus.present`),
    /// every point of such a line counted; 1 when none is.
    public static func presentRecall(_ lines: [LineStatus]) -> Double {
        recall(lines.filter(\.present))
    }

    /// Recall over the points of the lines the deconvolved noise-free field carries
    /// (`LineStatus.restorable`); 1 when none is.
    public static func restorableRecall(_ lines: [LineStatus]) -> Double {
        recall(lines.filter(\.restorable))
    }

    static func recall(_ lines: [LineStatus]) -> Double {
        let total = lines.map(\.points).reduce(0, +)
        guard total > 0 else { return 1 }
        return lines.map { $0.found * Double($0.points) }.reduce(0, +) / Double(total)
    }
}

/// Points binned in cubic cells for radius queries.
struct BCDIPointGrid {
    var cell: Double
    var bins: [SIMD3<Int>: [SIMD3<Double>]] = [:]

    init(points: [SIMD3<Double>], cell: Double) {
        self.cell = cell
        for p in points { bins[key(p), default: []].append(p) }
    }

    func key(_ p: SIMD3<Double>) -> SIMD3<Int> {
        let k = (p / cell).rounded(.down)
        return SIMD3(Int(k.x), Int(k.y), Int(k.z))
    }

    /// Whether some point lies within `radius` (≤ `cell`) of `p`.
    func hasPoint(within radius: Double, of p: SIMD3<Double>) -> Bool {
        let k = key(p)
        for dz in -1...1 {
            for dy in -1...1 {
                for dx in -1...1 {
                    guard let list = bins[k &+ SIMD3(dx, dy, dz)] else { continue }
                    if list.contains(where: { BCDIVec.length($0 - p) <= radius }) { return true }
                }
            }
        }
        return false
    }
}
