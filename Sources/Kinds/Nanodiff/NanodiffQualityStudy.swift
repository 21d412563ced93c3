import Foundation
import Kernels
import Shared

/// Accuracy over many randomised synthetic scans (`ctl bench nanodiff --quality N`): each draw
/// renders a scan with every nuisance drawn from its range (`NanodiffSynthParams.randomized`),
/// runs the same analysis as the job (features per position, maps, defects) in-process and
/// scores it as `ctl eval nanodiff` does. Reports the median and the bad tail (10th percentile
/// of quality: the 90th percentile of an error, the 10th of recall).
enum NanodiffQualityStudy {
    /// A boundary test compared on the same maps: a null, how found lines enter the model and
    /// the misfit variance. Written `null[/step][/misfit]` (e.g. `analytic/sharp/global`, session
    /// 5's test); a part left out is the jobs' default.
    struct BoundaryVariant: Equatable {
        var null: NanodiffBoundaryNull
        var step: NanodiffBoundaryStep
        var misfit: NanodiffLocalMisfit.Mode

        static let standard = BoundaryVariant(null: .standard, step: .standard, misfit: .standard)

        init(null: NanodiffBoundaryNull, step: NanodiffBoundaryStep, misfit: NanodiffLocalMisfit.Mode) {
            self.null = null; self.step = step; self.misfit = misfit
        }

        init?(_ text: String) {
            let parts = text.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "/").map(String.init)
            guard (1...3).contains(parts.count), let null = NanodiffBoundaryNull(rawValue: parts[0]) else { return nil }
            var step = NanodiffBoundaryStep.standard, misfit = NanodiffLocalMisfit.Mode.standard
            for part in parts.dropFirst() {
                if let s = NanodiffBoundaryStep(rawValue: part) { step = s } else if let m = NanodiffLocalMisfit.Mode(rawValue: part) { misfit = m } else { return nil }
            }
            self.init(null: null, step: step, misfit: misfit)
        }

        var name: String { "\(null.rawValue)/\(step.rawValue)/\(misfit.rawValue)" }
    }

    struct Draw {
        var seed: UInt64
        var params: NanodiffSynthParams
        var score: NanodiffEvaluation.Score
        var denoised: NanodiffEvaluation.Score
        /// How each embedding separates the true defect and matrix positions.
        var separation: Separation
        /// Tilt boundaries: a detected line matches the true one when its centre lies within
        /// 1.5 steps of it and its direction within 10°.
        var boundaries: NanodiffEvaluation.BoundaryScore
        /// The same maps' boundaries under each null compared (`--boundary-nulls`), the first
        /// being `boundaries`.
        var byNull: [(variant: BoundaryVariant, score: NanodiffEvaluation.BoundaryScore, statistics: [(f: Double, threshold: Double)])] = []
        /// Wall seconds of the maps' analysis (what a merge does per scan, with the first boundary
        /// test) and of each boundary test after the first, in `byNull`'s order from the second.
        var mapsSeconds = 0.0, searchSeconds: [Double] = []
        /// The median per-position tilt error (rad, both maps) and the boundary model's misfit τ
        /// (rad, the larger of the two maps): the noise a boundary step is detected against.
        var tiltSigma: Double, misfit: Double
        var rows: Int, cols: Int

        /// The true boundary's step over the per-position tilt noise, and over the noise
        /// including the model misfit.
        var boundarySNR: (poisson: Double, effective: Double) {
            let step = abs(params.boundary?.misorientationRad ?? 0)
            return (step / tiltSigma, step / (tiltSigma * tiltSigma + misfit * misfit).squareRoot())
        }
    }

    /// `side`: the scan's rows and columns are each drawn in ⅔…4⁄3 of it.
    /// `mapsDirectory`: also write each draw's maps, defects and parameters there as
    /// `draw-<seed>.json` (for inspection outside Slipline). `embeddings`: false skips the
    /// PCA/autoencoder comparison (the slow part).
    /// `nulls`: the boundary tests compared on each draw's maps (the first is the maps' own).
    /// `fixedSide`: every draw is exactly `side` × `side` (timing the merge on a given layout).
    static func run(draws: Int, side: Int, firstSeed: UInt64, threads: Int, mapsDirectory: String? = nil, embeddings: Bool = true,
                    nulls: [BoundaryVariant] = [.standard], fixedSide: Bool = false, report: (Draw) -> Void) throws -> [Draw] {
        var out: [Draw] = []
        for k in 0..<draws {
            let seed = firstSeed + UInt64(k)
            var sizes = SeededRandom(seed: seed ^ 0x51DE)
            let rows = fixedSide ? side : Int(sizes.uniform((Double(side) * 2 / 3)...(Double(side) * 4 / 3)).rounded())
            let cols = fixedSide ? side : Int(sizes.uniform((Double(side) * 2 / 3)...(Double(side) * 4 / 3)).rounded())
            let p = NanodiffSynthParams.randomized(rows: rows, cols: cols, seed: seed)
            let (data, truth) = NanodiffSynthesizer.render(p, threads: threads)
            let features = data.withUnsafeBufferPointer {
                NanodiffPositionAnalysis.analyse($0, angles: p.angles, positions: rows * cols, width: p.detCols, height: p.detRows,
                                                 anglesDeg: p.anglesDeg, geometry: p.geometry, threads: threads)
            }
            let mapsStart = DispatchTime.now().uptimeNanoseconds
            let maps = try NanodiffScanMaps(index: 0, file: "draw \(seed)", rows: rows, cols: cols, features: features.map { $0 ?? NanodiffFeatures() },
                                            stepAngstrom: p.stepAngstrom, d0: nil, gamma: NanodiffLPAICI.defaultGamma,
                                            boundaryNull: (nulls.first ?? .standard).null, boundaryStep: (nulls.first ?? .standard).step,
                                            boundaryMisfit: (nulls.first ?? .standard).misfit)
            let mapsSeconds = Double(DispatchTime.now().uptimeNanoseconds - mapsStart) / 1e9
            let cores = p.dislocations.map { SIMD2($0.x, $0.y) }
            let detected = maps.defects.filter { $0.kind == .dislocation }.map { SIMD2($0.x, $0.y) }
            func score(_ suffix: String) -> NanodiffEvaluation.Score {
                NanodiffEvaluation.score(width: cols, height: rows, strain: maps.values("strain" + suffix), trueStrain: truth.strain,
                                         tiltX: maps.values("tilt_x" + suffix), tiltY: maps.values("tilt_y" + suffix),
                                         trueTiltX: truth.tiltX, trueTiltY: truth.tiltY, cores: cores, detected: detected, tolerance: 1, margin: 1)
            }
            let sep = embeddings ? data.withUnsafeBufferPointer { separation(maps, block: $0, params: p, seed: seed, threads: threads) } : Separation()
            if let mapsDirectory { try writeMaps(maps, params: p, truth: truth, to: mapsDirectory) }
            let trueLines = p.boundary.map { [SIMD3($0.x, $0.y, $0.angleDeg)] } ?? []
            let boundaries = NanodiffEvaluation.scoreBoundaries(truth: trueLines, detected: maps.defects)
            var byNull = [(variant: nulls.first ?? .standard, score: boundaries, statistics: maps.boundarySearch.statistics)]
            var searchSeconds: [Double] = []
            for variant in nulls.dropFirst() {
                let start = DispatchTime.now().uptimeNanoseconds
                let search = maps.boundarySearch(null: variant.null, step: variant.step, misfit: variant.misfit)
                searchSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                byNull.append((variant, NanodiffEvaluation.scoreBoundaries(truth: trueLines, detected: search.boundaries), search.statistics))
            }
            let sigmas = (maps.values("tilt_x_sigma") + maps.values("tilt_y_sigma")).filter(\.isFinite)
            var draw = Draw(seed: seed, params: p, score: score(""), denoised: score("_lpa"), separation: sep,
                            boundaries: boundaries, byNull: byNull, tiltSigma: NanodiffLPAICI.median(sigmas), misfit: maps.boundarySearch.misfit.max() ?? .nan,
                            rows: rows, cols: cols)
            draw.mapsSeconds = mapsSeconds
            draw.searchSeconds = searchSeconds
            report(draw)
            out.append(draw)
        }
        return out
    }

    /// One draw's maps (row-major, NaN as null), defects, parameters and true maps as JSON.
    static func writeMaps(_ maps: NanodiffScanMaps, params: NanodiffSynthParams, truth: NanodiffSynthesizer.Truth, to directory: String) throws {
        struct Dump: Encodable {
            var params: NanodiffSynthParams
            var rows: Int, cols: Int
            var maps: [String: [Double?]]
            var truth: [String: [Double?]]
            var defects: [NanodiffDefect]
        }
        func nullable(_ v: [Double]) -> [Double?] { v.map { $0.isFinite ? $0 : nil } }
        var named: [String: [Double?]] = [:]
        for m in maps.maps { named[m.name] = nullable(m.values) }
        named["gx"] = nullable(maps.features.map { $0.isValid ? $0.q.x - maps.frame.q0.x : .nan })
        named["gy"] = nullable(maps.features.map { $0.isValid ? $0.q.y - maps.frame.q0.y : .nan })
        let dump = Dump(params: params, rows: maps.rows, cols: maps.cols, maps: named,
                        truth: ["strain": nullable(truth.strain), "tilt_x": nullable(truth.tiltX), "tilt_y": nullable(truth.tiltY)],
                        defects: maps.defects)
        let file = URL(fileURLWithPath: directory).appendingPathComponent("draw-\(params.seed).json")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try JSONEncoder().encode(dump).write(to: file)
        } catch {
            throw TaskError("cannot write \(file.path): \(error.localizedDescription); pass a writable --maps-dir")
        }
    }

    /// Whether a position is in a defect region: within 1.5 steps of a core or 1 step of the
    /// boundary, or inside the strained region's radius.
    static func isDefect(x: Double, y: Double, _ p: NanodiffSynthParams) -> Bool {
        if p.dislocations.contains(where: { ($0.x - x) * ($0.x - x) + ($0.y - y) * ($0.y - y) <= 2.25 }) { return true }
        if let b = p.boundary {
            let a = (b.angleDeg + 90) * .pi / 180
            if abs((x - b.x) * cos(a) + (y - b.y) * sin(a)) <= 1 { return true }
        }
        if let r = p.region, (r.x - x) * (r.x - x) + (r.y - y) * (r.y - y) <= r.radius * r.radius { return true }
        return false
    }

    /// Per embedding (3 components each): the mean silhouette of the true defect/matrix labels
    /// (higher: defect regions stand further apart) and the adjusted Rand index of k-means
    /// (k = 2) against them.
    struct Separation {
        var pca = (silhouette: Double.nan, ari: Double.nan)
        var autoencoder = (silhouette: Double.nan, ari: Double.nan)
        var cloudAutoencoder = (silhouette: Double.nan, ari: Double.nan)
    }

    /// PCA of the fixed 12-value descriptor (what jobs use), the small autoencoder on the same
    /// descriptor, and the point-cloud autoencoder on the voxelised clouds, over the same
    /// positions.
    static func separation(_ maps: NanodiffScanMaps, block: UnsafeBufferPointer<UInt16>, params p: NanodiffSynthParams, seed: UInt64,
                           threads: Int) -> Separation {
        let (rows, positions) = maps.descriptors()
        let dims = NanodiffDescriptor.names.count, n = rows.count
        var out = Separation()
        guard n > 10 else { return out }
        let x = rows.flatMap { $0 }
        let labels = positions.map { isDefect(x: Double($0 % maps.cols), y: Double($0 / maps.cols), p) ? 1 : 0 }
        guard Set(labels).count == 2 else { return out }
        let pick = Array(Swift.stride(from: 0, to: n, by: max(1, n / 600)))
        func score(_ e: [Double]) -> (silhouette: Double, ari: Double) {
            let sub = pick.flatMap { e[($0 * 3)..<($0 * 3 + 3)] }
            let sil = NanodiffEmbedding.silhouette(sub, rows: pick.count, dims: 3, labels: pick.map { labels[$0] }, k: 2)
            let clusters = NanodiffEmbedding.kmeans(e, rows: n, dims: 3, k: 2).labels
            return (sil, NanodiffStatistics.adjustedRandIndex(clusters, labels))
        }
        out.pca = score(NanodiffEmbedding.pca(x, rows: n, dims: dims, components: 3).embedding)
        let z = NanodiffEmbedding.standardise(x, rows: n, dims: dims)
        var ae = NanodiffAutoencoder(dims: dims, seed: seed)
        ae.train(z, rows: n)
        out.autoencoder = score(ae.encode(z, rows: n))
        // The clouds themselves: voxelised descriptors of every position, standardised per bin.
        let spread = NanodiffCloudDescriptor.spread(maps.features, frame: maps.frame)
        let clouds = NanodiffCloudDescriptor.describe(block, angles: p.angles, positions: maps.rows * maps.cols, width: p.detCols,
                                                      height: p.detRows, anglesDeg: p.anglesDeg, geometry: p.geometry, frame: maps.frame,
                                                      spread: spread, threads: threads)
        let voxels = NanodiffCloudDescriptor.bins * NanodiffCloudDescriptor.bins * NanodiffCloudDescriptor.bins
        let cz = NanodiffEmbedding.standardise(positions.flatMap { clouds[$0] }, rows: n, dims: voxels).map(Float.init)
        var cloudAE = NanodiffCloudAutoencoder(dims: voxels, seed: seed)
        cloudAE.train(cz, rows: n)
        out.cloudAutoencoder = score(cloudAE.encode(cz, rows: n))
        return out
    }

    /// The q-quantile (linear interpolation) of `values`.
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let s = values.filter(\.isFinite).sorted()
        guard !s.isEmpty else { return .nan }
        let x = q * Double(s.count - 1)
        let i = Int(x.rounded(.down)), f = x - Double(i)
        return i + 1 < s.count ? s[i] * (1 - f) + s[i + 1] * f : s[i]
    }
}
