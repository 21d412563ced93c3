import Foundation
import Kernels
import Shared

/// Accuracy over many randomised synthetic scans (`ctl bench nanodiff --quality N`): each draw
/// renders a scan with every nuisance drawn from its range (`NanodiffSynthParams.randomized`),
/// runs the same analysis as the job (features per position, maps, defects) in-process and
/// scores it as `ctl eval nanodiff` does. Reports the median and the bad tail (10th percentile
/// of quality: the 90th percentile of an error, the 10th of recall).
enum NanodiffQualityStudy {
    struct Draw {
        var seed: UInt64
        var params: NanodiffSynthParams
        var score: NanodiffEvaluation.Score
        var denoised: NanodiffEvaluation.Score
        /// Silhouette of the true defect/matrix labels in the PCA and in the autoencoder
        /// embedding (higher: defect regions stand further apart).
        var pcaSeparation: Double
        var autoencoderSeparation: Double
        /// Whether the true tilt boundary was found (a detected line whose centre lies within
        /// 1.5 steps of it and whose direction is within 10°), and how many other lines were reported.
        var boundaryFound: Bool
        var spuriousBoundaries: Int
    }

    static func run(draws: Int, rows: Int, cols: Int, firstSeed: UInt64, threads: Int, report: (Draw) -> Void) throws -> [Draw] {
        var out: [Draw] = []
        for k in 0..<draws {
            let seed = firstSeed + UInt64(k)
            let p = NanodiffSynthParams.randomized(rows: rows, cols: cols, seed: seed)
            let (data, truth) = NanodiffSynthesizer.render(p, threads: threads)
            let features = data.withUnsafeBufferPointer {
                NanodiffPositionAnalysis.analyse($0, angles: p.angles, positions: rows * cols, width: p.detCols, height: p.detRows,
                                                 anglesDeg: p.anglesDeg, geometry: p.geometry, threads: threads)
            }
            let maps = try NanodiffScanMaps(index: 0, file: "draw \(seed)", rows: rows, cols: cols, features: features.map { $0 ?? NanodiffFeatures() },
                                            stepAngstrom: p.stepAngstrom, d0: nil, gamma: NanodiffLPAICI.defaultGamma)
            let cores = p.dislocations.map { SIMD2($0.x, $0.y) }
            let detected = maps.defects.filter { $0.kind == .dislocation }.map { SIMD2($0.x, $0.y) }
            func score(_ suffix: String) -> NanodiffEvaluation.Score {
                NanodiffEvaluation.score(width: cols, height: rows, strain: maps.values("strain" + suffix), trueStrain: truth.strain,
                                         tiltX: maps.values("tilt_x" + suffix), tiltY: maps.values("tilt_y" + suffix),
                                         trueTiltX: truth.tiltX, trueTiltY: truth.tiltY, cores: cores, detected: detected, tolerance: 1, margin: 1)
            }
            let (pcaSep, aeSep) = separation(maps, params: p, seed: seed)
            let lines = maps.defects.filter { $0.kind == .tiltBoundary }
            let matching = lines.filter { matches($0, p.boundary) }
            let draw = Draw(seed: seed, params: p, score: score(""), denoised: score("_lpa"), pcaSeparation: pcaSep, autoencoderSeparation: aeSep,
                            boundaryFound: !matching.isEmpty, spuriousBoundaries: lines.count - min(1, matching.count))
            report(draw)
            out.append(draw)
        }
        return out
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

    /// How far apart the true defect and matrix positions lie in each embedding of the same
    /// standardised descriptors (3 components each): the mean silhouette of the true labels.
    static func separation(_ maps: NanodiffScanMaps, params p: NanodiffSynthParams, seed: UInt64) -> (pca: Double, autoencoder: Double) {
        let (rows, positions) = maps.descriptors()
        let dims = NanodiffDescriptor.names.count, n = rows.count
        guard n > 10 else { return (.nan, .nan) }
        let x = rows.flatMap { $0 }
        let labels = positions.map { isDefect(x: Double($0 % maps.cols), y: Double($0 / maps.cols), p) ? 1 : 0 }
        guard Set(labels).count == 2 else { return (.nan, .nan) }
        let pca = NanodiffEmbedding.pca(x, rows: n, dims: dims, components: 3).embedding
        let z = NanodiffEmbedding.standardise(x, rows: n, dims: dims)
        var ae = NanodiffAutoencoder(dims: dims, seed: seed)
        ae.train(z, rows: n)
        let codes = ae.encode(z, rows: n)
        let pick = Array(Swift.stride(from: 0, to: n, by: max(1, n / 600)))
        func sil(_ e: [Double]) -> Double {
            let sub = pick.flatMap { e[($0 * 3)..<($0 * 3 + 3)] }
            return NanodiffEmbedding.silhouette(sub, rows: pick.count, dims: 3, labels: pick.map { labels[$0] }, k: 2)
        }
        return (sil(pca), sil(codes))
    }

    static func matches(_ d: NanodiffDefect, _ b: NanodiffSynthParams.TiltBoundary?) -> Bool {
        guard let b, d.points.count == 2 else { return false }
        let a = (b.angleDeg + 90) * .pi / 180
        let offset = abs((d.x - b.x) * cos(a) + (d.y - b.y) * sin(a))
        var angle = atan2(d.points[1][1] - d.points[0][1], d.points[1][0] - d.points[0][0]) * 180 / .pi - b.angleDeg
        angle = abs(remainder(angle, 180))
        return offset <= 1.5 && angle <= 10
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
