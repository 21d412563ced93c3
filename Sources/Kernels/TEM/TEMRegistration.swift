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
    public let width: Int, height: Int
    private var coarse: TEMDriftEstimator
    private let reference: TEMDriftRefinement.Grid?
    /// The previous frame's drift (px), the first candidate for the next.
    private var previous: TEMPoint = .zero
    /// χ² (2 dof) a shift must exceed to count as a stage move: the 99 % point.
    public static let significance = 9.21

    /// A frame smaller than 32 px on a side has no estimate (drift 0).
    public init(reference frame: UnsafeBufferPointer<Float>, width: Int, height: Int) {
        self.width = width
        self.height = height
        coarse = TEMDriftEstimator(reference: frame, width: width, height: height)
        reference = min(width, height) >= 32 ? TEMDriftRefinement.grid(frame, width: width, height: height) : nil
    }

    /// The shift (px) of `frame`'s content relative to the reference: a feature at p in the
    /// reference is at p + drift in `frame`. Call in frame order: the previous frame's drift
    /// is a candidate.
    public mutating func drift(_ frame: UnsafeBufferPointer<Float>) -> TEMPoint {
        guard let reference, frame.count >= width * height else { return .zero }
        let grid = TEMDriftRefinement.grid(frame, width: width, height: height)
        let bin = Double(reference.bin)
        var best: TEMDriftRefinement.Fit?
        // Starts already reached (bins): a start within a bin of one lies in the same basin.
        var reached: [TEMPoint] = []
        for candidate in [previous, coarse.drift(frame), .zero] {
            let start = candidate / bin
            guard !reached.contains(where: { TEMPolyline.norm($0 - start) < 1 }) else { continue }
            reached.append(start)
            guard let fit = TEMDriftRefinement.refine(reference: reference, frame: grid, start: start) else { continue }
            reached.append(fit.shift)
            if best == nil || fit.scale < best!.scale { best = fit }
        }
        guard let fit = best else {
            previous = .zero
            return .zero
        }
        let drift = Self.significant(fit) ? fit.shift * bin : .zero
        previous = drift
        return drift
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
