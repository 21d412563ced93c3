import Foundation
import Kernels
import Shared

/// The `stem4d` merge: assembles the shards' part files into the virtual images (float32
/// HDF5 `/image` + PNG each) and the mean/max patterns; with `mode=particles` detects the
/// particles in the stereo views and triangulates them (g(r) too); with `mode=dislocations`
/// detects lines in the rectified views (the TEM detector) and matches them into 3D lines.
/// When a shard died (its error names the file), the images would have holes: the merge
/// then writes nothing and the job fails on that shard.
public enum STEM4DMerge {
    public typealias Payload = STEM4DMergePayload<STEM4DDetectorGeometry>

    static let tables = ["stem4d_image_results", "stem4d_line_results", "stem4d_particle_results",
                         "stem4d_rdf_results", "stem4d_job_results"]

    static func run(_ payload: Payload, shards: [ShardInput<STEM4DShard.ShardPayload, STEM4DShardOutput>],
                    options: STEM4DJobOptions, context: KindContext) throws -> [ResultRows] {
        let missing = shards.filter { !$0.succeeded }
        guard missing.isEmpty else {
            context.logger.notice("stem4d merge: virtual images incomplete, nothing written", metadata: [
                "job.id": "\(context.jobId)", "rows.missing": "\(missing.map { "\($0.payload.y0)..<\($0.payload.y1)" }.joined(separator: ","))"])
            return []
        }
        let parts = try shards.map { try STEM4DPart.read(try context.output.check($0.output!.partFile),
                                                         maskCount: payload.detectors.count,
                                                         detectorPixels: payload.shape[2] * payload.shape[3]) }
        let merged = try assemble(parts, payload: payload)
        return try analyse(merged, payload: payload, options: options, output: context.output.path)
    }

    /// Puts the parts together; they must cover the scan exactly.
    public static func assemble(_ parts: [STEM4DVirtualPartial], payload: Payload) throws -> STEM4DVirtualPartial {
        let frames = payload.shape[0] * payload.shape[1]
        var merged = STEM4DVirtualPartial(firstFrame: 0, frameCount: frames, maskCount: payload.detectors.count,
                                          detectorPixels: payload.shape[2] * payload.shape[3])
        var covered = 0
        for part in parts.sorted(by: { $0.firstFrame < $1.firstFrame }) {
            guard part.firstFrame == covered else {
                throw TaskError("\(payload.file): part files do not tile the scan (frame \(part.firstFrame) after \(covered)); re-run the job")
            }
            merged.merge(part)
            covered += part.frameCount
        }
        guard covered == frames else { throw TaskError("\(payload.file): parts end at frame \(covered) of \(frames); re-run the job") }
        return merged
    }

    /// Writes the images and does the 3D work; returns the rows.
    public static func analyse(_ merged: STEM4DVirtualPartial, payload: Payload, options: STEM4DJobOptions,
                               output: String) throws -> [ResultRows] {
        let rows = payload.shape[0], cols = payload.shape[1]
        let (images, imageRows) = try writeImages(merged, payload: payload, output: output)
        let cal = payload.calibration
        let bf = STEM4DBrightField(cx: cal.cx, cy: cal.cy, radius: cal.radius)
        var report = STEM4DReport(rows: rows, cols: cols)
        var found = ThreeD()
        if let first = payload.pairs.first, let minus = images[first.minus], let plus = images[first.plus] {
            report.pair = (minus, plus)
        }
        // The planner noted on the job why a 3D mode that does not fit this cube is skipped.
        if payload.skippedMode == nil, let first = payload.pairs.first, images[first.minus] != nil, images[first.plus] != nil {
            // In the views, each baseline runs along its detector azimuth turned by the scan rotation.
            let stereos = try payload.pairs.map {
                var stereo = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: payload.convergenceMrad, azimuthDeg: $0.azimuthDeg,
                                                           detectorRadius: $0.radiusPx, stereoAngleDeg: $0.stereoAngleDeg)
                stereo.azimuthDeg += options.scanRotationDeg
                return stereo
            }
            switch options.mode {
            case "particles":
                found = particles(images: images, meanPattern: merged.meanPattern, payload: payload, stereos: stereos, options: options,
                                  report: &report)
                try writeParticles(found.particleList, stereos: stereos, rows: rows, cols: cols, output: output)
                if let blur = found.particleBlur { try writeParticleBlur(blur, output: output) }
            case "dislocations":
                found = dislocations(images: images, meanPattern: merged.meanPattern, payload: payload, options: options, report: &report)
            default:
                break
            }
        }
        let reportFile = STEM4DPaths.report(output)
        let canvas = report.render()
        try AtomicFile.write(reportFile) { try PNGWriter.writeRGB8(path: $0, width: canvas.width, height: canvas.height, pixels: canvas.pixels) }
        let summary = ResultRows(table: "stem4d_job_results", columns: [
            "input_file", "shape", "mode", "bf_cx", "bf_cy", "bf_radius", "calibration", "mrad_per_px", "stereo_angle_deg",
            "strategy", "mean_pattern_file", "max_pattern_file", "report_file", "n_particles", "n_lines",
        ], rows: [[
            payload.file, PGJSON(raw: "[\(payload.shape.map(String.init).joined(separator: ","))]"), options.mode,
            cal.cx, cal.cy, cal.radius, cal.source, cal.mradPerPixel, payload.pairs.first?.stereoAngleDeg, payload.strategy,
            STEM4DPaths.image(output, name: "mean_pattern"), STEM4DPaths.image(output, name: "max_pattern"), reportFile,
            found.particleCount, found.lineCount,
        ]])
        return [imageRows, found.particles, found.rdf, found.lines, summary]
    }

    /// Every virtual image (HDF5 + PNG) and the mean and maximum patterns; the images by
    /// detector name and their rows.
    static func writeImages(_ merged: STEM4DVirtualPartial, payload: Payload, output: String) throws -> ([String: STEM4DImage], ResultRows) {
        let rows = payload.shape[0], cols = payload.shape[1]
        let det = STEM4DDetectorShape(rows: payload.shape[2], cols: payload.shape[3])
        var images: [String: STEM4DImage] = [:]
        let pairAngle = Dictionary(payload.pairs.flatMap { [($0.minus, $0.stereoAngleDeg), ($0.plus, $0.stereoAngleDeg)] },
                                   uniquingKeysWith: { a, _ in a })
        var imageRows = ResultRows(table: "stem4d_image_results", columns: [
            "name", "file", "detector", "png_file", "stereo_angle_deg", "strategy",
        ])
        for (m, detector) in payload.detectors.enumerated() {
            let image = STEM4DImage(rows: rows, cols: cols, pixels: Array(merged.image(m)))
            images[detector.name] = image
            let h5 = STEM4DPaths.image(output, name: detector.name), png = STEM4DPaths.png(output, name: detector.name)
            try writeImage(image.pixels, shape: [rows, cols], h5: h5, png: png)
            imageRows.rows.append([detector.name, h5, PGJSON(raw: detector.geometry.jsonString()), png,
                                   pairAngle[detector.name], payload.strategy])
        }
        try writeImage(merged.meanPattern, shape: [det.rows, det.cols], h5: STEM4DPaths.image(output, name: "mean_pattern"),
                       png: STEM4DPaths.png(output, name: "mean_pattern"))
        try writeImage(merged.maxPattern, shape: [det.rows, det.cols], h5: STEM4DPaths.image(output, name: "max_pattern"),
                       png: STEM4DPaths.png(output, name: "max_pattern"))
        return (images, imageRows)
    }

    /// What the 3D step found, as rows (empty tables when the mode found nothing or did not run).
    struct ThreeD {
        var particles = ResultRows(table: "stem4d_particle_results", columns: ["particle_id", "x", "y", "z", "radius", "n_views", "residual"])
        var rdf = ResultRows(table: "stem4d_rdf_results", columns: ["bin", "r", "g"])
        var lines = ResultRows(table: "stem4d_line_results", columns: ["line_id", "points", "reprojection_rms", "n_points"])
        var particleCount: Int?
        var lineCount: Int?
        var particleList: [STEM4DParticle3D] = []
        /// The joint fit's outcome when it measured the blur (`particle_chord_sampling=measured`).
        var particleBlur: STEM4DParticleModelFit.Outcome?
    }

    /// `stem4d/particles.json`: each particle as in `stem4d_particles`, plus `cut_by_scan_edge`
    /// (its disk crosses the scan border in at least one view: position and radius are then
    /// less certain, and g(r) near the edges counts it at its estimated place).
    static func writeParticles(_ particles: [STEM4DParticle3D], stereos: [STEM4DStereoPair], rows: Int, cols: Int, output: String) throws {
        let views = stereos.flatMap { STEM4DParticleView.pair(minus: [], plus: [], stereo: $0) }
        let entries = particles.enumerated().map { i, p in
            let cut = views.contains { v in
                let x = p.x - p.z * v.tx, y = p.y - p.z * v.ty
                return x - p.radius < -0.5 || y - p.radius < -0.5 || x + p.radius > Double(cols) - 0.5 || y + p.radius > Double(rows) - 0.5
            }
            // depth_sigma: the depth's standard error from the joint fit (null without it, or
            // when the views do not constrain the depth).
            let sigma = p.depthSigma.flatMap { $0.isFinite ? String(format: "%.4f", $0) : nil } ?? "null"
            // significance: the sphere's χ² gain in the final model, standard deviations (null without the fit).
            let significance = p.significance.flatMap { $0.isFinite ? String(format: "%.3f", $0) : nil } ?? "null"
            return String(format: "{\"particle_id\":%d,\"x\":%.4f,\"y\":%.4f,\"z\":%.4f,\"radius\":%.4f,\"n_views\":%d,\"residual\":%.4f,\"depth_sigma\":%@,\"significance\":%@,\"cut_by_scan_edge\":%@}",
                          i, p.x, p.y, p.z, p.radius, p.views, p.residual, sigma, significance, cut ? "true" : "false")
        }
        let json = "[\n" + entries.joined(separator: ",\n") + "\n]\n"
        try AtomicFile.write(STEM4DPaths.particles(output)) { try Data(json.utf8).write(to: URL(fileURLWithPath: $0)) }
    }

    /// `stem4d/particle_blur.json`: the box width (px) the joint fit measured and used, the
    /// widths tried with their summed χ² gains, and on how many isolated spheres.
    static func writeParticleBlur(_ o: STEM4DParticleModelFit.Outcome, output: String) throws {
        let widths = o.blurWidthsTried
        let gains = o.blurGains.map { String(format: "%.3f", $0) }.joined(separator: ",")
        let json = String(format: "{\"blur_width_px\":%.3f,\"spheres\":%d,", o.blurWidth, o.blurSpheres)
            + "\"widths_px\":[\(widths.map { String(format: "%.3f", $0) }.joined(separator: ","))],\"chi2_gains\":[\(gains)]}\n"
        try AtomicFile.write(STEM4DPaths.particleBlur(output)) { try Data(json.utf8).write(to: URL(fileURLWithPath: $0)) }
    }

    /// `mode=particles`: blobs in every stereo view, matched and triangulated; g(r) of the centres.
    static func particles(images: [String: STEM4DImage], meanPattern: [Float], payload: Payload, stereos: [STEM4DStereoPair],
                          options: STEM4DJobOptions, report: inout STEM4DReport) -> ThreeD {
        let rows = payload.shape[0], cols = payload.shape[1]
        var out = ThreeD()
        let blobDetector = STEM4DBlobDetector(radiusMin: options.particleRadiusMin, radiusMax: options.particleRadiusMax)
        var views: [STEM4DParticleView] = []
        for (k, pair) in payload.pairs.enumerated() {
            guard let a = images[pair.minus], let b = images[pair.plus] else { continue }
            let ba = blobDetector.detect(a), bb = blobDetector.detect(b)
            if k == 0 { report.blobs = (ba, bb) }
            views += STEM4DParticleView.pair(minus: ba, plus: bb, stereo: stereos[k], images: options.particleAlignment ? (a, b) : nil)
        }
        let stereo = STEM4DParticleStereo(zMin: -options.zRange, zMax: options.zRange)
        var particles = stereo.reconstruct(views)
        if options.particleModel {
            // All views as one model, each view's shift per unit depth from its detector's
            // measured tilt (as for lines): refit, then what blob matching missed.
            let cal = payload.calibration
            let bf = STEM4DBrightField(cx: cal.cx, cy: cal.cy, radius: cal.radius)
            let shape = STEM4DDetectorShape(rows: payload.shape[2], cols: payload.shape[3])
            // The stereo detectors' views, or (`particle_fit_views=quadrants`) the four quadrants
            // of the disk: disjoint, so their noise is independent, and every bright-field count.
            let quadrants = (0..<4).map { "quadrant\($0)" }
            let names = options.particleFitViews == "quadrants" && quadrants.allSatisfy({ images[$0] != nil })
                ? quadrants : payload.pairs.flatMap { [$0.minus, $0.plus] }
            var fitViews: [STEM4DParticleModelFit.View] = []
            for name in names {
                guard let image = images[name], let detector = payload.detectors.first(where: { $0.name == name }) else { continue }
                let t = STEM4DStereoGeometry.viewShift(of: detector.geometry, brightField: bf, convergenceMrad: payload.convergenceMrad,
                                                       shape: shape, meanPattern: meanPattern, scanRotationDeg: options.scanRotationDeg)
                // 3 × 3 cells, or (`particle_spread_cell` > 0) a detector pixel each, pooled per depth by the fit.
                let spread = STEM4DStereoGeometry.viewTiltSpread(of: detector.geometry, brightField: bf, convergenceMrad: payload.convergenceMrad,
                                                                 shape: shape, meanPattern: meanPattern, scanRotationDeg: options.scanRotationDeg,
                                                                 bins: options.particleSpreadCell > 0 ? max(shape.rows, shape.cols) : 3)
                fitViews.append(STEM4DParticleModelFit.View(image: image, tx: t.tx, ty: t.ty, spread: spread))
            }
            var model = STEM4DParticleModelFit(radiusMin: options.particleRadiusMin, radiusMax: options.particleRadiusMax,
                                               zMin: -options.zRange, zMax: options.zRange)
            model.mergeTest = options.particleMerge
            model.localNoise = options.particleLocalNoise
            model.depthOutlierFactor = options.particleDepthOutlier
            model.depthOutlierOverlappingOnly = options.particleDepthOutlierScope == "overlapping"
            model.depthOutlierJoint = options.particleDepthOutlierJoint
            model.depthOutlierReference = options.particleDepthOutlierReference
            model.spreadCellPx = options.particleSpreadCell
            model.pointSampling = options.particleChordSampling == "point"
            model.measureBlur = options.particleChordSampling == "measured"
            model.satellites = options.particleSatellites
            model.splitMerge = options.particleSplitMerge
            model.splitLateral = options.particleSplitLateral
            model.splitLateralRival = options.particleSplitLateralRival
            model.splitLateralRivalAndHeld = options.particleSplitLateralRivalAndHeld
            model.splitLateralRivalMerge = options.particleSplitLateralRivalMerge
            model.splitLateralRivalJoint = options.particleSplitLateralRivalJoint
            model.stackMax = options.particleStackMax
            model.sharedAmplitude = options.particleSharedAmplitude
            model.sharedAmplitudePerSphere = options.particleSharedAmplitudePerSphere
            model.amplitudeStudentT = options.particleAmplitudePrior == "student_t"
            model.stackResidualStarts = options.particleStackStarts == "residual"
            model.floorCensored = options.particleFloor == "censored"
            model.floorHeld = options.particleFloorHeld
            model.floorHeldBackground = options.particleFloorHeldBackground
            model.depthChoice = options.particleDepthChoice
            model.hardSpheres = STEM4DParticleModelFit.HardSpheres(rawValue: options.particleHardSpheres) ?? .off
            model.significance = options.particleSignificance
                ?? STEM4DParticleModelFit.lookElsewhereSignificance(rows: payload.shape[0], cols: payload.shape[1], views: fitViews,
                                                                    radiusMin: options.particleRadiusMin, radiusMax: options.particleRadiusMax,
                                                                    zMin: -options.zRange, zMax: options.zRange)
            let outcome = model.fitReporting(particles, views: fitViews)
            particles = outcome.particles
            if model.measureBlur { out.particleBlur = outcome }
        }
        out.particleCount = particles.count
        out.particleList = particles
        for (i, p) in particles.enumerated() {
            out.particles.rows.append([i, p.x, p.y, p.z, p.radius, p.views, p.residual])
        }
        if particles.count >= 2 {
            // The window is the bounding box of the centres (the slab and the margins the
            // particles keep from the scan edges are unknown); g(r) is edge-corrected in it.
            let points = particles.map { [$0.x, $0.y, $0.z] }
            let lo = (0..<3).map { a in points.map { $0[a] }.min()! }
            let hi = (0..<3).map { a in max(points.map { $0[a] }.max()!, lo[a] + 1) }
            let rMax = Double(min(rows, cols)) / 3
            let bins = STEM4DRadialDistribution.compute(points: points, lo: lo, hi: hi, rMax: rMax, binWidth: max(1, rMax / 30))
            for (i, b) in bins.enumerated() where b.g.isFinite { out.rdf.rows.append([i, b.r, b.g]) }
            report.rdf = bins.filter { $0.g.isFinite }.map { ($0.r, $0.g) }
        }
        return out
    }

    /// `mode=dislocations`: every view of every stereo pair at once (`STEM4DLineSweepStereo`):
    /// ridges found by a depth sweep over all views, traced into curves, each curve's depth
    /// fitted from the shifts of its cross-section between the views; each view's shift per
    /// unit depth from its detector's measured tilt (`STEM4DStereoGeometry.viewShift`).
    static func dislocations(images: [String: STEM4DImage], meanPattern: [Float], payload: Payload, options: STEM4DJobOptions,
                             report: inout STEM4DReport) -> ThreeD {
        var out = ThreeD()
        let cal = payload.calibration
        let bf = STEM4DBrightField(cx: cal.cx, cy: cal.cy, radius: cal.radius)
        let shape = STEM4DDetectorShape(rows: payload.shape[2], cols: payload.shape[3])
        var views: [STEM4DLineView] = []
        for pair in payload.pairs {
            for name in [pair.minus, pair.plus] {
                guard let image = images[name], let detector = payload.detectors.first(where: { $0.name == name }) else { continue }
                let t = STEM4DStereoGeometry.viewShift(of: detector.geometry, brightField: bf, convergenceMrad: payload.convergenceMrad,
                                                       shape: shape, meanPattern: meanPattern, scanRotationDeg: options.scanRotationDeg)
                views.append(STEM4DLineView(image: image, tx: t.tx, ty: t.ty))
            }
        }
        var sweepStereo = STEM4DLineSweepStereo(zRange: options.zRange, minLength: options.lineMinLength)
        sweepStereo.adaptiveDepthSmoothing = options.lineDepthSmoothing == "ici"
        sweepStereo.depthSmoothingHalf = options.lineDepthWindow
        sweepStereo.splineDepth = options.lineDepthFit == "spline"
        sweepStereo.ownEvidence = options.lineOwnEvidence
        sweepStereo.depthBreaks = options.lineDepthBreaks
        sweepStereo.depthBackground = options.lineDepthBackground
        sweepStereo.pooledDepthWeights = options.lineDepthWeights == "pooled"
        sweepStereo.modelNeighbours = options.lineNeighbours
        let found = sweepStereo.reconstruct(views).lines
        if views.count >= 2 {
            // The report shows each line where it appears in the first pair's views.
            func project(_ v: STEM4DLineView) -> [[(Double, Double)]] { found.map { $0.points.map { ($0[0] - $0[2] * v.tx, $0[1] - $0[2] * v.ty) } } }
            report.lines = (project(views[0]), project(views[1]))
        }
        out.lineCount = found.count
        for (i, line) in found.enumerated() {
            let json = "[" + line.points.map { String(format: "[%.3f,%.3f,%.3f]", $0[0], $0[1], $0[2]) }.joined(separator: ",") + "]"
            out.lines.rows.append([i, PGJSON(raw: json), line.reprojectionRMS, line.points.count])
        }
        return out
    }

    /// `/image` float32 of `shape` and a PNG stretched between the 0.5 and 99.5 percentiles.
    static func writeImage(_ pixels: [Float], shape: [Int], h5: String, png: String) throws {
        try AtomicFile.write(h5) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(pixels, shape: shape, to: "/image")
            try file.close()
        }
        let gray = STEM4DReport.stretch(pixels)
        try AtomicFile.write(png) { try PNGWriter.writeGray8(path: $0, width: shape[1], height: shape[0], pixels: gray) }
    }
}
