import Foundation
import Kernels
import Shared

/// Plans `stem4d` jobs: one 4D cube (HDF5, `.npy` or `.mib`) becomes one shard per block of
/// scan rows and a merge.
///
/// Calibration happens here, at planning (the first of two passes): the virtual detectors
/// depend on the bright-field disk, and the queue only orders shards before their merge, so
/// the coordinator reads a small deterministic sample of the cube (up to 8 evenly spaced scan
/// rows, at most 64 MiB) or `--param vacuum=PATH` (a vacuum scan or one 2D vacuum pattern,
/// `STEM4DVacuum`), finds the disk, places the detectors and
/// writes them into every shard's payload. The shards then make the second pass, over all
/// frames, and also accumulate the full mean and maximum patterns.
public struct STEM4DPlanner: JobPlanner {
    /// Data per shard by default: about a second of work for the kernels in a release build.
    public static let shardBytes = 256 << 20
    /// Data per shard for chunked (compressed) HDF5, where decoding dominates.
    public static let chunkedShardBytes = 64 << 20
    /// Most data read for calibration.
    public static let sampleBytes = 64 << 20

    public typealias Detector = STEM4DNamedDetector<STEM4DDetectorGeometry>

    public init() {}

    public var kind: String { "stem4d" }

    public func plan(input: String, params: JobParams, context: PlanContext) throws -> JobPlan {
        let options = try STEM4DJobOptions(params)
        let file = try Self.cubeFile(input)
        let source: STEM4DSource
        do {
            source = try STEM4DSource.open(path: file, dataset: options.dataset, scan: options.scan)
        } catch {
            throw PlanError("\(error)")
        }
        var notes: [String] = []
        let detShape = STEM4DDetectorShape(rows: source.detRows, cols: source.detCols)

        // Pass 1: calibration from a sample of the cube, or from the vacuum (a scan or one pattern).
        let mean: [Float]
        let calibrationLabel: String
        if let vacuum = options.vacuum {
            (mean, calibrationLabel) = try STEM4DVacuum.pattern(path: vacuum, detector: detShape)
        } else {
            let (m, sampled) = try Self.meanPattern(source)
            (mean, calibrationLabel) = (m, "mean of \(sampled) frames of \(source.path)")
        }
        let bf: STEM4DBrightField
        do {
            bf = try STEM4DCalibration.brightField(pattern: mean, detector: detShape)
        } catch {
            throw PlanError("\(source.label): \(error) (\(calibrationLabel))"
                + (options.vacuum == nil ? "; pass --param vacuum=PATH with a vacuum scan or pattern" : ""))
        }
        let calibration = STEM4DCalibrationRecord(
            cx: bf.cx, cy: bf.cy, radius: bf.radius, source: calibrationLabel,
            mradPerPixel: bf.mradPerPixel(convergenceMrad: options.convergenceMrad))

        // The detectors.
        var detectors: [Detector] = []
        var pairs: [STEM4DPairRecord] = []
        for kind in options.detectors {
            switch kind {
            case "bf":
                detectors.append(Detector(name: "bf", geometry: bf.geometry))
            case "adf":
                detectors.append(Detector(name: "adf", geometry: .annulus(
                    cx: bf.cx, cy: bf.cy, rInner: bf.radius * options.adfInner, rOuter: bf.radius * options.adfOuter)))
            case "quadrants":
                for (k, g) in STEM4DStereoGeometry.quadrants(brightField: bf, rotationDeg: options.stereoAzimuthDeg).enumerated() {
                    detectors.append(Detector(name: "quadrant\(k)", geometry: g))
                }
            case "stereo":
                let explicit = params.values["stereo_angle_deg"] != nil
                func place(_ angle: Double?, azimuth: Double) throws -> STEM4DStereoPair {
                    do {
                        return try STEM4DStereoGeometry.pair(
                            brightField: bf, convergenceMrad: options.convergenceMrad, azimuthDeg: azimuth,
                            detectorRadius: options.detectorRadiusPx, stereoAngleDeg: angle)
                    } catch {
                        throw PlanError("\(source.label): \(error) (bright-field disk found at (\(String(format: "%.2f", bf.cx)), \(String(format: "%.2f", bf.cy))) px, radius \(String(format: "%.2f", bf.radius)) px)")
                    }
                }
                func add(_ pair: STEM4DStereoPair) {
                    let k = pairs.count
                    detectors.append(Detector(name: "stereo\(k)_minus", geometry: pair.minus))
                    detectors.append(Detector(name: "stereo\(k)_plus", geometry: pair.plus))
                    pairs.append(STEM4DPairRecord(
                        minus: "stereo\(k)_minus", plus: "stereo\(k)_plus", azimuthDeg: pair.azimuthDeg,
                        offsetPx: pair.offsetPx, radiusPx: pair.radiusPx, stereoAngleMrad: pair.stereoAngleMrad))
                }
                var firstPair: STEM4DStereoPair?
                for angle in options.stereoAnglesDeg {
                    var pair: STEM4DStereoPair
                    if explicit || angle == nil {
                        pair = try place(angle, azimuth: options.stereoAzimuthDeg)
                    } else if let fits = try? place(angle, azimuth: options.stereoAzimuthDeg) {
                        pair = fits
                    } else {
                        pair = try place(nil, azimuth: options.stereoAzimuthDeg)
                        notes.append(String(format: "the default stereo angle 8° does not fit this disk; using the largest, %.2f°", pair.stereoAngleDeg))
                    }
                    firstPair = firstPair ?? pair
                    add(pair)
                }
                if options.views == 4, let first = firstPair {
                    // Four views: the first pair again, turned by 90° (same angle, so both
                    // baselines weigh alike in the least-squares depth; the largest that fits
                    // if rounding pushes the same angle just past the disk's rim).
                    let azimuth = options.stereoAzimuthDeg + 90
                    add(try (try? place(first.stereoAngleDeg, azimuth: azimuth)) ?? place(nil, azimuth: azimuth))
                }
            default:
                break
            }
        }
        for (k, c) in options.circles.enumerated() {
            detectors.append(Detector(name: "circle\(k)", geometry: .circle(cx: c[0], cy: c[1], r: c[2])))
        }
        if let maskPath = options.mask {
            let weights: [Float]
            do {
                let array = try NPYFile.open(path: maskPath).readReal()
                guard array.shape == [source.detRows, source.detCols] else {
                    throw PlanError("has shape \(array.shape); the mask must be 2D with the detector's shape [\(source.detRows), \(source.detCols)]")
                }
                guard array.values.allSatisfy(\.isFinite) else { throw PlanError("holds NaN or Inf") }
                weights = array.values
            } catch {
                throw PlanError("--param mask=\(maskPath): \(error)")
            }
            detectors.append(Detector(name: "mask", geometry: .mask(rows: source.detRows, cols: source.detCols, weights: weights)))
        }
        let strategy: STEM4DStrategy
        switch options.strategy {
        case "sparse": strategy = .sparse
        case "dense": strategy = .dense
        default: strategy = STEM4DVirtualDetectorPlan(detectors: detectors.map(\.geometry), detector: detShape).strategy
        }

        // Pass 2: shards of whole scan rows.
        let rowBytes = source.scanCols * source.frameBytes
        let target = source.isChunked ? Self.chunkedShardBytes : Self.shardBytes
        let rows = options.rowsPerTask ?? max(1, target / max(1, rowBytes))
        var shards: [PlannedTask] = []
        for y0 in stride(from: 0, to: source.scanRows, by: rows) {
            let y1 = min(source.scanRows, y0 + rows)
            let payload = STEM4DShardPayload(
                file: source.path, dataset: source.dataset, scan: options.scan, shape: source.shape, element: source.element,
                y0: y0, y1: y1, detectors: detectors, strategy: strategy.rawValue,
                partFile: STEM4DPaths.part(context.outputDirectory, y0: y0, y1: y1))
            shards.append(PlannedTask(kind: "stem4d", payload: try PayloadJSON.encode(payload)))
        }
        let merge = STEM4DMergePayload(
            file: source.path, shape: source.shape, detectors: detectors, calibration: calibration,
            convergenceMrad: options.convergenceMrad, pairs: pairs, strategy: strategy.rawValue)
        return JobPlan(shards: shards, merge: PlannedTask(kind: "stem4d.merge", payload: try PayloadJSON.encode(merge)),
                       notes: notes.isEmpty ? [] : [notes.joined(separator: "; ")])
    }

    /// The cube: `input` itself, or the only cube file in the directory `input`.
    static func cubeFile(_ input: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else {
            throw PlanError("stem4d input \(input) does not exist")
        }
        guard isDir.boolValue else { return input }
        let names = (try FileManager.default.contentsOfDirectory(atPath: input)).filter {
            !$0.hasPrefix(".") && STEM4DSource.format(of: $0) != nil
        }.sorted(by: NaturalSort.areInIncreasingOrder)
        guard names.count == 1 else {
            throw PlanError(names.isEmpty
                ? "stem4d input \(input) holds no .h5, .npy or .mib file"
                : "stem4d input \(input) holds \(names.count) cubes (\(names.prefix(5).joined(separator: ", "))); pass one file")
        }
        return (input as NSString).appendingPathComponent(names[0])
    }

    /// Mean diffraction pattern of up to 8 evenly spaced scan rows (at most `sampleBytes`).
    static func meanPattern(_ source: STEM4DSource) throws -> (pattern: [Float], frames: Int) {
        let det = STEM4DDetectorShape(rows: source.detRows, cols: source.detCols)
        let plan = STEM4DVirtualDetectorPlan(masks: [], detector: det, strategy: .sparse)
        var sum = [Double](repeating: 0, count: det.pixels)
        let rowBytes = source.scanCols * source.frameBytes
        let nRows = max(1, min(8, source.scanRows, sampleBytes / max(1, rowBytes)))
        let perRow = rowBytes <= sampleBytes ? source.scanCols : max(1, sampleBytes / source.frameBytes)
        var sampled = 0
        for k in 0..<nRows {
            let y = nRows == 1 ? source.scanRows / 2 : k * (source.scanRows - 1) / (nRows - 1)
            let first = y * source.scanCols
            let partial = try source.withFrames(first..<(first + perRow)) { raw in
                try STEM4DFrameBytes.check(raw, element: source.element, label: source.label, firstFrame: first, framePixels: det.pixels)
                return STEM4DFrameBytes.frames(raw, element: source.element) { plan.run($0, firstFrame: first) }
            }
            for i in sum.indices { sum[i] += partial.sumPattern[i] }
            sampled += perRow
        }
        return (sum.map { Float($0 / Double(max(sampled, 1))) }, sampled)
    }
}
