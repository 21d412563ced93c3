/// Stage drift of each frame against a reference frame (the video's frame 0 in a job), in three
/// steps:
///
/// 1. **Candidates**: the band-passed cross-correlation peak (`TEMDriftEstimator`: finds shifts
///    of any size, up to a quarter of the frame), the previous frame's drift (the stage moves
///    little between frames) and no drift.
/// 2. **Robust fit** from each distinct candidate (`TEMDriftRefinement`: Tukey-weighted
///    Lucas–Kanade, so moving dislocations, which pull a correlation peak after thousands of
///    frames, weigh nothing); the fit with the smallest robust residual scale wins — a global
///    choice among the basins, not the nearest one.
/// 3. **Significance**: the fitted shift is kept only when it stands out of its own covariance
///    (χ² with 2 degrees of freedom above the 99 % point, 9.21); otherwise the frame has not
///    measurably moved and its drift is exactly 0. A still stage thus stores 0, not estimator
///    noise, while any move larger than a few hundredths of a pixel is followed.
public struct TEMRegistration: Sendable {
    /// What the estimator does; `.v4` is the estimator of 3 December (three full-resolution
    /// starts, lines not masked), kept for before/after figures (`--param registration=v4`).
    public struct Config: Sendable, Equatable {
        /// Leave the bins of the detected curves out of the fit (when curves are given).
        public var maskLines: Bool = true
        /// Let the starts compete on the half-resolution grid.
        public var coarseToFine: Bool = true
        /// Registration at half size (issue 11 item 5; off, `--param registration=half`): the
        /// correlation estimator on bins twice as wide (a 64² transform at 512²) and the winning
        /// start's half-resolution fit kept as the drift, without the full-resolution refinement
        /// (bins of 8 px at 512² instead of 4). With `coarseToFine` only (the half-resolution
        /// grid is where the starts compete); frames too small for that grid register as without.
        public var halfSize: Bool = false
        public init(maskLines: Bool = true, coarseToFine: Bool = true, halfSize: Bool = false) {
            self.maskLines = maskLines
            self.coarseToFine = coarseToFine
            self.halfSize = halfSize
        }
        public static let v4 = Config(maskLines: false, coarseToFine: false)
        /// By name, as `--param registration=`: `masked` (default), `unmasked`, `v4`, `half`
        /// (`masked` at half size).
        public static func named(_ name: String) -> Config? {
            switch name.lowercased() {
            case "masked", "default": return Config()
            case "unmasked": return Config(maskLines: false, coarseToFine: true)
            case "v4": return .v4
            case "half": return Config(halfSize: true)
            default: return nil
            }
        }
        public static let names = ["masked", "unmasked", "v4", "half"]
    }

    public let width: Int, height: Int
    public let config: Config
    private var coarse: TEMDriftEstimator
    private var reference: TEMDriftRefinement.Grid?
    private var referenceHalf: TEMDriftRefinement.Grid?
    /// The previous frame's drift (px), the first candidate for the next.
    private var previous: TEMPoint = .zero
    /// χ² (2 dof) a shift must exceed to count as a stage move: the 99 % point.
    public static let significance = 9.21

    /// A frame smaller than 32 px on a side has no estimate (drift 0). `lines`: the detector's
    /// curves on the reference (pixels), left out of the fit with `config.maskLines`.
    public init(reference frame: UnsafeBufferPointer<Float>, width: Int, height: Int,
                lines: [[TEMPoint]] = [], config: Config = Config()) {
        self.init(reference: frame, width: width, height: height, lines: lines, config: config, computesUnreadGradients: false)
    }

    /// `computesUnreadGradients`: the plain twin of the `halfSize` path (tests), which computes
    /// the full-resolution gradients it never reads.
    init(reference frame: UnsafeBufferPointer<Float>, width: Int, height: Int,
         lines: [[TEMPoint]], config: Config, computesUnreadGradients: Bool) {
        self.width = width
        self.height = height
        self.config = config
        self.computesUnreadGradients = computesUnreadGradients
        coarse = TEMDriftEstimator(reference: frame, width: width, height: height, halfSize: config.halfSize && config.coarseToFine)
        if min(width, height) >= 32 {
            // With `halfSize` the full-resolution reference is only halved: its gradients are
            // computed only if it is too small to halve (every frame then fitted at full resolution).
            let halvedOnly = config.halfSize && config.coarseToFine && !computesUnreadGradients
            var grid = TEMDriftRefinement.grid(frame, width: width, height: height, lines: config.maskLines ? lines : [],
                                               gradients: !halvedOnly)
            referenceHalf = config.coarseToFine ? grid.halved() : nil
            if referenceHalf == nil { grid.addGradients() }
            reference = grid
        }
    }

    /// The refinement reads the reference's gradients only (inverse compositional: the frame is
    /// resampled, the reference's Jacobian fixed), so a frame's grids — full and half resolution —
    /// are made without them, and with `halfSize` so is the full-resolution reference.
    /// `computesUnreadGradients` computes them all, as before: the plain twin (tests; the same drifts).
    let computesUnreadGradients: Bool

    /// The shift (px) of `frame`'s content relative to the reference: a feature at p in the
    /// reference is at p + drift in `frame`. Call in frame order: the previous frame's drift
    /// is a candidate. `lines`: the detector's curves on this frame (pixels), left out of the
    /// fit with `config.maskLines`.
    public mutating func drift(_ frame: UnsafeBufferPointer<Float>, lines: [[TEMPoint]] = []) -> TEMPoint {
        guard let reference, frame.count >= width * height else { return .zero }
        let grid = TEMDriftRefinement.grid(frame, width: width, height: height, lines: config.maskLines ? lines : [],
                                           gradients: computesUnreadGradients)
        let candidates = [previous, coarse.drift(frame), .zero]
        var best: TEMDriftRefinement.Fit?
        // Pixels per bin of the fit kept.
        var fitBin = reference.bin
        if let half = referenceHalf, let frameHalf = grid.halved(gradients: computesUnreadGradients) {
            // The starts compete at half resolution; the winner is refined at full resolution
            // (with `halfSize`: kept as it is).
            if let start = Self.bestFit(reference: half, frame: frameHalf, candidates: candidates, iterations: 8, basin: 0.5) {
                if config.halfSize {
                    best = start
                    fitBin = half.bin
                } else {
                    let fineStart = start.shift * Double(half.bin) / Double(reference.bin)
                    best = TEMDriftRefinement.refine(reference: reference, frame: grid, start: fineStart)
                }
            }
        } else {
            best = Self.bestFit(reference: reference, frame: grid, candidates: candidates, iterations: 12, basin: 1)
        }
        guard let fit = best else {
            previous = .zero
            return .zero
        }
        let drift = Self.significant(fit) ? fit.shift * Double(fitBin) : .zero
        previous = drift
        return drift
    }

    /// The fit with the smallest robust residual scale over the distinct starts (`candidates`
    /// in pixels; a start within `basin` bins of one already reached lies in the same basin:
    /// a full-resolution bin, 4 px at 512²).
    static func bestFit(reference: TEMDriftRefinement.Grid, frame: TEMDriftRefinement.Grid,
                        candidates: [TEMPoint], iterations: Int, basin: Double) -> TEMDriftRefinement.Fit? {
        let bin = Double(reference.bin)
        var best: TEMDriftRefinement.Fit?
        var reached: [TEMPoint] = []
        for candidate in candidates {
            let start = candidate / bin
            guard !reached.contains(where: { TEMPolyline.norm($0 - start) < basin }) else { continue }
            reached.append(start)
            guard let fit = TEMDriftRefinement.refine(reference: reference, frame: frame, start: start, iterations: iterations) else { continue }
            reached.append(fit.shift)
            if best == nil || fit.scale < best!.scale { best = fit }
        }
        return best
    }

    /// Whether a fit's shift stands out of its covariance (χ² above `significance`).
    static func significant(_ fit: TEMDriftRefinement.Fit) -> Bool {
        let c = fit.covariance, d = fit.shift
        let det = c.x * c.z - c.y * c.y
        guard det > 0 else { return false }
        let chi2 = (c.z * d.x * d.x - 2 * c.y * d.x * d.y + c.x * d.y * d.y) / det
        return chi2 > significance
    }
}
