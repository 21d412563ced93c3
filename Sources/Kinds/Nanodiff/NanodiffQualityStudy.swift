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
            let draw = Draw(seed: seed, params: p, score: score(""), denoised: score("_lpa"))
            report(draw)
            out.append(draw)
        }
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
