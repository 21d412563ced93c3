import Foundation
import Kernels
import Shared

/// The `--param` options of a nanodiff job, parsed and checked once by the planner (a bad value
/// fails the job at submission) and again by the workers. Geometry given here overrides what
/// the file stores (`NanodiffScanSource.storedGeometry`).
public struct NanodiffJobOptions: Sendable, Equatable {
    /// `dataset=/path`: the 5D (or per-angle 4D) dataset (default: `/entry/data/data`, else the
    /// only dataset of that rank).
    public var dataset: String?
    /// `angles=a,b,c` or `angles=start:stop:count` (degrees, offsets from the Bragg angle);
    /// default: the file's `/entry/data/angles` (5D) or each file's `/entry/data/angle` (4D).
    public var angles: [Double]?
    /// `angles_dataset=/path`: where the file stores the angles.
    public var anglesDataset: String?
    /// Geometry: `energy_kev`, `distance_m`, `pixel_um`, `two_theta_deg`, `center_x`,
    /// `center_y` (detector pixel of the 2θ ray), `rocking_axis=x|y` (default y).
    public var energyKeV, distanceM, pixelUm, twoThetaDeg, centerX, centerY: Double?
    public var rockingAxis: NanodiffGeometry.Axis?
    /// `step_nm=`: the scan step (default: the file's `/entry/sample/step_nm`, else 100 nm).
    public var stepNm: Double?
    /// `d0_angstrom=`: the reference spacing strain is measured against (default: the scan median).
    public var d0: Double?
    /// `clusters=`: regions (default: chosen by silhouette in 2…6).
    public var clusters: Int?
    /// `rows_per_shard=`: scan rows per shard task (default: ≈ 1 GB of data per shard).
    public var rowsPerShard: Int?
    /// `chunk_mb=` (default 256): the most a shard holds in memory at once.
    public var chunkMB: Int
    /// `lpa_gamma=` (default 2): Γ of the LPA-ICI rule on the maps.
    public var lpaGamma: Double
    /// `track_gate=` (default 2 scan steps): defects of consecutive scans farther apart are
    /// different defects.
    public var trackGate: Double
    /// `boundary_null=analytic|simulated|bootstrap` (default analytic): how a tilt-boundary
    /// candidate is tested (`NanodiffBoundaryNull`; `analytic` is session 4's test).
    public var boundaryNull: NanodiffBoundaryNull
    /// `boundary_step=sharp|blurred` (default blurred): how a found tilt boundary enters the model
    /// before the next search (`NanodiffBoundaryStep`; `sharp` is sessions 3–5's).
    public var boundaryStep: NanodiffBoundaryStep
    /// `boundary_misfit=global|local|correlated|correlated-first|correlated-first-gaussian` (default
    /// correlated-first, session 8): one misfit variance for the whole map (sessions 3–5), one
    /// smoothed from the residuals around each position (`NanodiffLocalMisfit`, session 6's default),
    /// or that variance as a field correlated over the scan (`NanodiffCorrelatedMisfit`) for every
    /// line or the first (session 7; `-gaussian`: session 7's Gaussian correlation only).
    public var boundaryMisfit: NanodiffLocalMisfit.Mode
    /// `threads=`: threads per shard (default: the cores, at most 8).
    public var threads: Int

    public init(_ params: JobParams) throws {
        dataset = params.values["dataset"].flatMap { $0.isEmpty ? nil : $0 }
        anglesDataset = params.values["angles_dataset"].flatMap { $0.isEmpty ? nil : $0 }
        angles = try params.values["angles"].map(Self.parseAngles)
        func optional(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
            params.values[key] == nil ? nil : try params.double(key, default: 0, range: range)
        }
        energyKeV = try optional("energy_kev", 0.1...1000)
        distanceM = try optional("distance_m", 0.001...100)
        pixelUm = try optional("pixel_um", 0.1...10_000)
        twoThetaDeg = try optional("two_theta_deg", 0.1...179)
        centerX = try optional("center_x", -1e6...1e6)
        centerY = try optional("center_y", -1e6...1e6)
        if let axis = params.values["rocking_axis"] {
            guard let a = NanodiffGeometry.Axis(rawValue: axis.lowercased()) else {
                throw ParamError(message: "--param rocking_axis=\(axis): expected x or y")
            }
            rockingAxis = a
        }
        stepNm = try optional("step_nm", 1e-3...1e6)
        d0 = try optional("d0_angstrom", 0.1...100)
        clusters = params.values["clusters"] == nil ? nil : try params.int("clusters", default: 2, range: 1...32)
        rowsPerShard = params.values["rows_per_shard"] == nil ? nil : try params.int("rows_per_shard", default: 1, range: 1...1_000_000)
        chunkMB = try params.int("chunk_mb", default: 256, range: 1...65536)
        lpaGamma = try params.double("lpa_gamma", default: NanodiffLPAICI.defaultGamma, range: 0.1...10)
        trackGate = try params.double("track_gate", default: 2, range: 0...10_000)
        if let text = params.values["boundary_null"] {
            guard let null = NanodiffBoundaryNull(rawValue: text.lowercased()) else {
                throw ParamError(message: "--param boundary_null=\(text): expected analytic, simulated or bootstrap")
            }
            boundaryNull = null
        } else {
            boundaryNull = .standard
        }
        if let text = params.values["boundary_step"] {
            guard let step = NanodiffBoundaryStep(rawValue: text.lowercased()) else {
                throw ParamError(message: "--param boundary_step=\(text): expected sharp or blurred")
            }
            boundaryStep = step
        } else {
            boundaryStep = .standard
        }
        if let text = params.values["boundary_misfit"] {
            guard let mode = NanodiffLocalMisfit.Mode(rawValue: text.lowercased()) else {
                throw ParamError(message: "--param boundary_misfit=\(text): expected global, local, correlated, correlated-first or correlated-first-gaussian")
            }
            boundaryMisfit = mode
        } else {
            boundaryMisfit = .standard
        }
        threads = try params.int("threads", default: Parallel.defaultThreads(), range: 1...256)
    }

    /// `a,b,c` or `start:stop:count`.
    static func parseAngles(_ text: String) throws -> [Double] {
        let bad = ParamError(message: "--param angles=\(text): expected degrees as a,b,c or start:stop:count (e.g. -1:1:41)")
        if text.contains(":") {
            let parts = text.split(separator: ":").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3, let a = parts[0], let b = parts[1], let c = parts[2], c >= 1, c <= 100_000, c == c.rounded(),
                  a.isFinite, b.isFinite else { throw bad }
            let n = Int(c)
            return n == 1 ? [a] : (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) }
        }
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else { throw bad }
        return values.map { $0! }
    }
}
