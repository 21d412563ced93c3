import Foundation

/// A misfit variance that varies over the map: τᵢ² = max(0, (K ∗ r²)ᵢ − σᵢ²), the squared
/// residuals of the current fit averaged by a Gaussian kernel K over the fitted positions, less
/// the position's own Poisson variance.
///
/// What the tilt model cannot follow is local: the field next to a core, the halo of a strained
/// region beyond its mask, what is left along a boundary already found (docs/nanodiff.md,
/// session 6: standardised squared residuals of 10²–10⁴ there against ≈ 1 elsewhere). One global
/// τ (the residuals' MAD) weighs those positions like every other, so their smooth, correlated
/// misfit adds up along any line through them — the spurious lines — while elsewhere it sets a
/// noise floor far above the Poisson errors. With a local τᵢ the weights 1/(σᵢ² + τᵢ²) follow the
/// misfit where it is (heteroscedastic weighted least squares with a variance function estimated
/// by kernel smoothing of squared residuals, Carroll & Ruppert 1988, ch. 3). The smoothing is done
/// on the map grid in two separable passes, so it costs O(N · bandwidth), not O(N²).
public struct NanodiffLocalMisfit: Sendable {
    /// Which misfit variance the tilt-boundary model uses.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// One τ² for the whole map from the residuals' MAD (sessions 3–5).
        case global
        /// τᵢ² smoothed from the squared residuals around each position (session 6).
        case local
        /// `local`'s τᵢ² as the variance of a misfit field correlated over the scan, the boundary
        /// test generalised least squares under it (`NanodiffCorrelatedMisfit`, session 7).
        case correlated
        /// `correlated` for the first line (is there a boundary at all?), `local` for the searches
        /// after it (session 7: the whitened test's later lines were most of its other lines).
        case correlatedFirst = "correlated-first"
        /// `correlatedFirst` with the Gaussian correlation only (session 7; session 8 added the
        /// separable exponential for grid-aligned, rough misfit).
        case correlatedFirstGaussian = "correlated-first-gaussian"

        /// Whether the first line is tested under the correlated misfit.
        public var whitensFirstLine: Bool { self == .correlated || self == .correlatedFirst || self == .correlatedFirstGaussian }

        /// The correlation families the likelihood chooses among (`NanodiffCorrelatedMisfit`).
        public var correlationFamilies: [NanodiffCorrelatedMisfit.Family] {
            self == .correlatedFirstGaussian ? [.gaussian] : NanodiffCorrelatedMisfit.standardFamilies
        }

        /// What jobs use (session 8; docs/nanodiff.md): the whitened test for the first line with
        /// both correlation families — it finds far more boundaries than `local` (session 6's
        /// default, `--param boundary_misfit=local`) with as few other lines, and with the separable
        /// family it no longer reads a box-smoothed misfit as a step
        /// (`NanodiffResidualCorrelationTests`). On maps ≥ 14 a side of the unseen seeds 101–150 it
        /// finds 74 of 79 (0.937; `local` 56 of 79): short of 0.95 but better than `local` in every
        /// range measured, so it is the default (the integrator's call, session 8).
        public static let standard: Mode = .correlatedFirst
    }

    public let width: Int, height: Int
    /// Fitted positions (map indices), in the order of the fit's residuals.
    public let positions: [Int]
    /// The kernel's standard deviation, scan steps.
    public let bandwidth: Double
    /// Default bandwidth (steps): about the beam-to-core scale over which the cores' misfit
    /// decays (1.5–4 steps, session 4), so a core's halo is resolved and a half-plane is not.
    public static let defaultBandwidth = 1.5

    let taps: [Double]
    /// Per fitted position: the kernel's total weight over the fitted positions.
    let norm: [Double]

    public init(width: Int, height: Int, positions: [Int], bandwidth: Double = defaultBandwidth) {
        precondition(bandwidth > 0, "the bandwidth must be positive")
        self.width = width
        self.height = height
        self.positions = positions
        self.bandwidth = bandwidth
        let radius = Int((3 * bandwidth).rounded(.up))
        taps = (-radius...radius).map { exp(-Double($0 * $0) / (2 * bandwidth * bandwidth)) }
        var indicator = [Double](repeating: 0, count: width * height)
        for i in positions { indicator[i] = 1 }
        let smoothed = Self.smooth(indicator, width: width, height: height, taps: taps)
        norm = positions.map { max(1e-300, smoothed[$0]) }
    }

    /// τᵢ² for each fitted position from the residuals `r` and errors `sigma` (both in the order
    /// of `positions`).
    public func variance(residuals r: [Double], sigma: [Double]) -> [Double] {
        precondition(r.count == positions.count && sigma.count == positions.count, "one residual and error per fitted position")
        var grid = [Double](repeating: 0, count: width * height)
        for (k, i) in positions.enumerated() { grid[i] = r[k] * r[k] }
        let smoothed = Self.smooth(grid, width: width, height: height, taps: taps)
        return positions.indices.map { k in max(0, smoothed[positions[k]] / norm[k] - sigma[k] * sigma[k]) }
    }

    /// The separable convolution of a row-major map with `taps` (centred, zero outside the map).
    static func smooth(_ values: [Double], width: Int, height: Int, taps: [Double]) -> [Double] {
        let radius = taps.count / 2
        var rows = [Double](repeating: 0, count: values.count)
        var out = [Double](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            rows.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let row = y * width
                    for x in 0..<width {
                        var s = 0.0
                        for t in max(-radius, -x)...min(radius, width - 1 - x) { s += taps[t + radius] * v[row + x + t] }
                        o[row + x] = s
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    for x in 0..<width {
                        var s = 0.0
                        for t in max(-radius, -y)...min(radius, height - 1 - y) { s += taps[t + radius] * v[(y + t) * width + x] }
                        o[y * width + x] = s
                    }
                }
            }
        }
        return out
    }
}
