import Coordinator
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
public enum STEM4DPlanner {
    /// Data per shard by default: about a second of work for the kernels in a release build.
    public static let shardBytes = 256 << 20
    /// Data per shard for chunked (compressed) HDF5, where decoding dominates.
    public static let chunkedShardBytes = 64 << 20
    /// Most data read for calibration.
    public static let sampleBytes = 64 << 20

    public typealias Detector = STEM4DNamedDetector<STEM4DDetectorGeometry>
    public typealias Plan = KindPlan<STEM4DShard.ShardPayload, STEM4DMerge.Payload>

    static func plan(input: String, options: STEM4DJobOptions, context: PlanContext) throws -> Plan {
        let file = try cubeFile(input)
        let source: STEM4DSource
        do {
            source = try STEM4DSource.open(path: file, dataset: options.dataset, scan: options.scan)
        } catch {
            throw PlanError("\(error)")
        }
        let calibrated = try calibrate(source, options: options)
        var layout = try detectors(bf: calibrated.bf, found: calibrated.found, source: source, options: options)
        layout.notes.insert(contentsOf: ["found \(source.summary)"] + calibrated.notes, at: 0)
        let skippedMode = STEM4DDefaultsFit.skippedMode(options: options, pairs: layout.pairs.count,
                                                        scanRows: source.scanRows, scanCols: source.scanCols)
        if let skipped = skippedMode { layout.notes.append(skipped) }
        let detShape = STEM4DDetectorShape(rows: source.detRows, cols: source.detCols)
        let strategy: STEM4DStrategy
        switch options.strategy {
        case "sparse": strategy = .sparse
        case "dense": strategy = .dense
        default: strategy = STEM4DVirtualDetectorPlan(detectors: layout.detectors.map(\.geometry), detector: detShape).strategy
        }
        let shards = self.shards(source, options: options, detectors: layout.detectors, strategy: strategy, context: context)
        let merge = STEM4DMergePayload(
            file: source.path, shape: source.shape, detectors: layout.detectors, calibration: calibrated.record,
            convergenceMrad: options.convergenceMrad, pairs: layout.pairs, strategy: strategy.rawValue, skippedMode: skippedMode)
        layout.notes = layout.notes.isEmpty ? [] : [layout.notes.joined(separator: "; ")]
        return Plan(shards: shards, merge: merge, notes: layout.notes)
    }

    /// Pass 1: the bright-field disk, from a sample of the cube or from `--param vacuum=PATH`
    /// (a vacuum scan or one pattern). When the cube's own mean pattern shows no disk (a tiny
    /// detector, a dark or flat sample) and no vacuum was given, a stand-in disk at the
    /// detector's centre keeps BF and ADF coming, with a note; `found` is then false and the
    /// detectors that need the true disk (stereo, quadrants) are skipped.
    static func calibrate(_ source: STEM4DSource, options: STEM4DJobOptions) throws
        -> (bf: STEM4DBrightField, record: STEM4DCalibrationRecord, found: Bool, notes: [String]) {
        let detShape = STEM4DDetectorShape(rows: source.detRows, cols: source.detCols)
        let mean: [Float]
        let label: String
        if let vacuum = options.vacuum {
            (mean, label) = try STEM4DVacuum.pattern(path: vacuum, detector: detShape)
        } else {
            let (m, sampled) = try meanPattern(source)
            (mean, label) = (m, "mean of \(sampled) frames of \(source.path)")
        }
        var bf: STEM4DBrightField
        var found = true, notes: [String] = [], origin = label
        do {
            bf = try STEM4DCalibration.brightField(pattern: mean, detector: detShape)
        } catch {
            guard options.vacuum == nil, !options.stereoExplicit else {
                throw PlanError("\(source.label): \(error) (\(label))"
                    + (options.vacuum == nil ? "; pass --param vacuum=PATH with a vacuum scan or pattern" : ""))
            }
            bf = STEM4DDefaultsFit.standInBrightField(detector: detShape)
            found = false
            origin = "stand-in (no disk in the \(label))"
            notes.append(String(format: "%@: %@; bf and adf use a stand-in disk at the detector centre (%.1f, %.1f) px, radius %.1f px; "
                                + "pass --param vacuum=PATH with a vacuum scan or pattern to calibrate",
                                source.label, "\(error)", bf.cx, bf.cy, bf.radius))
        }
        let record = STEM4DCalibrationRecord(
            cx: bf.cx, cy: bf.cy, radius: bf.radius, source: origin,
            mradPerPixel: bf.mradPerPixel(convergenceMrad: options.convergenceMrad))
        return (bf, record, found, notes)
    }

    /// The detectors a job forms, its stereo pairs, and notes on defaults that were adapted.
    struct DetectorLayout {
        var detectors: [Detector] = []
        var pairs: [STEM4DPairRecord] = []
        var notes: [String] = []

        mutating func add(_ pair: STEM4DStereoPair) {
            let k = pairs.count
            detectors.append(Detector(name: "stereo\(k)_minus", geometry: pair.minus))
            detectors.append(Detector(name: "stereo\(k)_plus", geometry: pair.plus))
            pairs.append(STEM4DPairRecord(
                minus: "stereo\(k)_minus", plus: "stereo\(k)_plus", azimuthDeg: pair.azimuthDeg,
                offsetPx: pair.offsetPx, radiusPx: pair.radiusPx, stereoAngleMrad: pair.stereoAngleMrad))
        }
    }

    /// Places the detectors the options name around the calibrated disk. Default detectors
    /// that do not fit the data (no disk found, a disk too small for the stereo detectors or
    /// the quadrants, an annulus off the detector) are left out with a note; explicitly
    /// requested stereo geometry that does not fit fails the job.
    static func detectors(bf: STEM4DBrightField, found: Bool, source: STEM4DSource,
                          options: STEM4DJobOptions) throws -> DetectorLayout {
        var layout = DetectorLayout()
        let shape = STEM4DDetectorShape(rows: source.detRows, cols: source.detCols)
        func addIfCovering(_ name: String, _ geometry: STEM4DDetectorGeometry) {
            if STEM4DDefaultsFit.covers(geometry, shape) {
                layout.detectors.append(Detector(name: name, geometry: geometry))
            } else {
                layout.notes.append("\(name) skipped: its mask holds no pixel of the \(shape.rows)×\(shape.cols) detector")
            }
        }
        for kind in options.detectors {
            switch kind {
            case "bf":
                addIfCovering("bf", bf.geometry)
            case "adf":
                addIfCovering("adf", .annulus(cx: bf.cx, cy: bf.cy, rInner: bf.radius * options.adfInner, rOuter: bf.radius * options.adfOuter))
            case "quadrants":
                let quadrants = STEM4DStereoGeometry.quadrants(brightField: bf, rotationDeg: options.stereoAzimuthDeg)
                if let note = STEM4DDefaultsFit.quadrantsNote(quadrants, found: found, bf: bf, shape: shape) {
                    layout.notes.append(note)
                } else {
                    for (k, g) in quadrants.enumerated() { layout.detectors.append(Detector(name: "quadrant\(k)", geometry: g)) }
                }
            case "stereo":
                guard found else {
                    layout.notes.append("stereo pairs skipped: no bright-field disk to place them in")
                    continue
                }
                var attempt = layout
                do {
                    try placeStereoPairs(bf: bf, source: source, options: options, into: &attempt)
                    layout = attempt
                } catch where !options.stereoExplicit {
                    layout.notes.append("stereo pairs skipped: \(error)")
                }
            default:
                break
            }
        }
        for (k, c) in options.circles.enumerated() {
            layout.detectors.append(Detector(name: "circle\(k)", geometry: .circle(cx: c[0], cy: c[1], r: c[2])))
        }
        if let maskPath = options.mask {
            layout.detectors.append(Detector(name: "mask", geometry: try mask(maskPath, source: source)))
        }
        return layout
    }

    /// One stereo pair per angle of `stereo_angle_deg` (the default 8° falls back to the
    /// largest that fits, with a note; an explicit angle that does not fit is an error), and
    /// with `views=4` the first pair again turned by 90°.
    static func placeStereoPairs(bf: STEM4DBrightField, source: STEM4DSource, options: STEM4DJobOptions,
                                 into layout: inout DetectorLayout) throws {
        func place(_ angle: Double?, azimuth: Double) throws -> STEM4DStereoPair {
            do {
                // detector_radius_px=auto (the particles default): the balanced radius.
                guard let radius = options.detectorRadiusPx ?? STEM4DStereoGeometry.balancedDetectorRadius(
                    brightField: bf, convergenceMrad: options.convergenceMrad, stereoAngleDeg: angle) else {
                    throw STEM4DError.stereoGeometry((angle.map { "at \($0)° " } ?? "")
                        + "a detector of radius ≥ 1 px does not fit in the bright-field disk of radius \(bf.radius) px")
                }
                return try STEM4DStereoGeometry.pair(
                    brightField: bf, convergenceMrad: options.convergenceMrad, azimuthDeg: azimuth,
                    detectorRadius: radius, stereoAngleDeg: angle)
            } catch {
                throw PlanError("\(source.label): \(error) (bright-field disk found at (\(String(format: "%.2f", bf.cx)), \(String(format: "%.2f", bf.cy))) px, radius \(String(format: "%.2f", bf.radius)) px)")
            }
        }
        var firstPair: STEM4DStereoPair?
        for angle in options.stereoAnglesDeg {
            var pair: STEM4DStereoPair
            if options.stereoAngleExplicit || angle == nil {
                pair = try place(angle, azimuth: options.stereoAzimuthDeg)
            } else if let fits = try? place(angle, azimuth: options.stereoAzimuthDeg) {
                pair = fits
            } else {
                pair = try place(nil, azimuth: options.stereoAzimuthDeg)
                layout.notes.append(String(format: "the default stereo angle 8° does not fit this disk; using the largest, %.2f°", pair.stereoAngleDeg))
            }
            firstPair = firstPair ?? pair
            layout.add(pair)
        }
        if options.views == 4, let first = firstPair {
            // Four views: the first pair again, turned by 90° (same angle, so both baselines
            // weigh alike in the least-squares depth; the largest that fits if rounding pushes
            // the same angle just past the disk's rim).
            let azimuth = options.stereoAzimuthDeg + 90
            layout.add(try (try? place(first.stereoAngleDeg, azimuth: azimuth)) ?? place(nil, azimuth: azimuth))
        }
    }

    /// A weighted detector from `--param mask=FILE.npy` (2D, the detector's shape, finite).
    static func mask(_ path: String, source: STEM4DSource) throws -> STEM4DDetectorGeometry {
        do {
            let array = try NPYFile.open(path: path).readReal()
            guard array.shape == [source.detRows, source.detCols] else {
                throw PlanError("has shape \(array.shape); the mask must be 2D with the detector's shape [\(source.detRows), \(source.detCols)]")
            }
            guard array.values.allSatisfy(\.isFinite) else { throw PlanError("holds NaN or Inf") }
            return .mask(rows: source.detRows, cols: source.detCols, weights: array.values)
        } catch {
            throw PlanError("--param mask=\(path): \(error)")
        }
    }

    /// Pass 2: shards of whole scan rows, about `shardBytes` each.
    static func shards(_ source: STEM4DSource, options: STEM4DJobOptions, detectors: [Detector], strategy: STEM4DStrategy,
                       context: PlanContext) -> [STEM4DShard.ShardPayload] {
        let rowBytes = source.scanCols * source.frameBytes
        let target = source.isChunked ? chunkedShardBytes : shardBytes
        let rows = options.rowsPerTask ?? max(1, target / max(1, rowBytes))
        return stride(from: 0, to: source.scanRows, by: rows).map { y0 in
            let y1 = min(source.scanRows, y0 + rows)
            return STEM4DShardPayload(
                file: source.path, dataset: source.dataset, scan: options.scan, shape: source.shape, element: source.element,
                y0: y0, y1: y1, detectors: detectors, strategy: strategy.rawValue,
                partFile: STEM4DPaths.part(context.outputDirectory, y0: y0, y1: y1))
        }
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
            let part = partial.sumPattern
            for i in sum.indices { sum[i] += part[i] }
            sampled += perRow
        }
        return (sum.map { Float($0 / Double(max(sampled, 1))) }, sampled)
    }
}
