import Foundation
import Kernels
import Shared

/// One named virtual detector. `Geometry` is the kernels' detector type (Shared does not
/// depend on the kernels; the planner and the runner both use `STEM4DDetectorGeometry`).
public struct STEM4DNamedDetector<Geometry: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// File-name-safe name, e.g. `bf`, `adf`, `stereo0_minus`, `quadrant2`.
    public var name: String
    public var geometry: Geometry

    public init(name: String, geometry: Geometry) {
        self.name = name
        self.geometry = geometry
    }
}

/// The payload of a `stem4d` shard task: scan rows `y0..<y1` of one cube, the detectors to
/// form and the file to write the partial result to.
public struct STEM4DShardPayload<Geometry: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var file: String
    public var dataset: String?
    public var scan: String?
    /// `[scan_y, scan_x, det_y, det_x]` when planned (checked again by the task).
    public var shape: [Int]
    public var element: STEM4DElement
    public var y0: Int
    public var y1: Int
    public var detectors: [STEM4DNamedDetector<Geometry>]
    /// `sparse` or `dense`.
    public var strategy: String
    /// Where the partial result goes (HDF5, written atomically).
    public var partFile: String

    public init(file: String, dataset: String?, scan: String?, shape: [Int], element: STEM4DElement, y0: Int, y1: Int,
                detectors: [STEM4DNamedDetector<Geometry>], strategy: String, partFile: String) {
        self.file = file; self.dataset = dataset; self.scan = scan; self.shape = shape; self.element = element
        self.y0 = y0; self.y1 = y1; self.detectors = detectors; self.strategy = strategy; self.partFile = partFile
    }

    enum CodingKeys: String, CodingKey {
        case file, dataset, scan, shape, element, y0, y1, detectors, strategy, partFile = "part_file"
    }
}

/// What a `stem4d` shard hands its merge.
public struct STEM4DShardOutput: Codable, Sendable, Equatable {
    /// The shard's virtual-image rows and pattern sums (`STEM4DPart`).
    public var partFile: String

    public init(partFile: String) {
        self.partFile = partFile
    }

    enum CodingKeys: String, CodingKey {
        case partFile = "part_file"
    }
}

/// The bright-field calibration the planner found, and where it came from.
public struct STEM4DCalibrationRecord: Codable, Sendable, Equatable {
    public var cx: Double, cy: Double, radius: Double
    /// `mean of N frames of FILE` or `vacuum FILE`.
    public var source: String
    public var mradPerPixel: Double

    public init(cx: Double, cy: Double, radius: Double, source: String, mradPerPixel: Double) {
        self.cx = cx; self.cy = cy; self.radius = radius; self.source = source; self.mradPerPixel = mradPerPixel
    }

    enum CodingKeys: String, CodingKey {
        case cx, cy, radius, source, mradPerPixel = "mrad_per_pixel"
    }
}

/// One stereo pair by detector names.
public struct STEM4DPairRecord: Codable, Sendable, Equatable {
    public var minus: String, plus: String
    public var azimuthDeg: Double, offsetPx: Double, radiusPx: Double, stereoAngleMrad: Double

    public init(minus: String, plus: String, azimuthDeg: Double, offsetPx: Double, radiusPx: Double, stereoAngleMrad: Double) {
        self.minus = minus; self.plus = plus; self.azimuthDeg = azimuthDeg; self.offsetPx = offsetPx
        self.radiusPx = radiusPx; self.stereoAngleMrad = stereoAngleMrad
    }

    public var stereoAngleDeg: Double { stereoAngleMrad * 1e-3 * 180 / .pi }

    enum CodingKeys: String, CodingKey {
        case minus, plus, azimuthDeg = "azimuth_deg", offsetPx = "offset_px", radiusPx = "radius_px"
        case stereoAngleMrad = "stereo_angle_mrad"
    }
}

/// The payload of the `stem4d.merge` task: what the planner decided for the whole cube.
public struct STEM4DMergePayload<Geometry: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var file: String
    public var shape: [Int]
    public var detectors: [STEM4DNamedDetector<Geometry>]
    public var calibration: STEM4DCalibrationRecord
    public var convergenceMrad: Double
    public var pairs: [STEM4DPairRecord]
    public var strategy: String
    /// Why the job's 3D mode does not run on this cube (the planner found that its defaults
    /// do not fit the data, and noted it on the job); nil when it runs.
    public var skippedMode: String?

    public init(file: String, shape: [Int], detectors: [STEM4DNamedDetector<Geometry>], calibration: STEM4DCalibrationRecord,
                convergenceMrad: Double, pairs: [STEM4DPairRecord], strategy: String, skippedMode: String? = nil) {
        self.file = file; self.shape = shape; self.detectors = detectors; self.calibration = calibration
        self.convergenceMrad = convergenceMrad; self.pairs = pairs; self.strategy = strategy; self.skippedMode = skippedMode
    }

    enum CodingKeys: String, CodingKey {
        case file, shape, detectors, calibration, convergenceMrad = "convergence_mrad", pairs, strategy
        case skippedMode = "skipped_mode"
    }
}

/// Output file names of a stem4d job, fixed by the job's output directory.
public enum STEM4DPaths {
    public static func part(_ outputDirectory: String, y0: Int, y1: Int) -> String {
        "\(outputDirectory)/stem4d/parts/rows-\(pad(y0))-\(pad(y1)).h5"
    }
    public static func image(_ outputDirectory: String, name: String) -> String {
        "\(outputDirectory)/stem4d/\(name).h5"
    }
    public static func png(_ outputDirectory: String, name: String) -> String {
        "\(outputDirectory)/stem4d/\(name).png"
    }
    /// Every particle of a `mode=particles` job with its flags (`cut_by_scan_edge`), JSON.
    public static func particles(_ outputDirectory: String) -> String {
        "\(outputDirectory)/stem4d/particles.json"
    }
    /// The blur width the joint particle fit measured (`particle_chord_sampling=measured`), JSON.
    public static func particleBlur(_ outputDirectory: String) -> String {
        "\(outputDirectory)/stem4d/particle_blur.json"
    }
    public static func report(_ outputDirectory: String) -> String {
        "\(outputDirectory)/stem4d/report.png"
    }
    static func pad(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
    }
}
