import Foundation
import Kernels

/// Does LPA-ICI on each position's 3D signal (`NanodiffCloudLPAICI`) improve its features at
/// low dose? (`ctl bench nanodiff --cloud-lpa N`.) Each draw renders a randomised scan at a
/// low dose (10³–10⁴ counts per position, log uniform; every other nuisance as in
/// `NanodiffSynthParams.randomized`) and computes the features twice, from the raw frames and
/// from the denoised ones, through the same moment kernel. Scored against the truth: strain and
/// tilt map RMS errors (positions within 1 step of a core left out, as `ctl eval`), and the
/// peak widths' relative RMS error against the same scan rendered at 1000× the dose.
enum NanodiffCloudLPAStudy {
    struct Draw {
        var seed: UInt64
        var dose: Double
        var raw: (strain: Double, tilt: Double, width: Double)
        var lpa: (strain: Double, tilt: Double, width: Double)
    }

    static func run(draws: Int, side: Int, firstSeed: UInt64, threads: Int, report: (Draw) -> Void) -> [Draw] {
        var out: [Draw] = []
        for k in 0..<draws {
            let seed = firstSeed + UInt64(k)
            var p = NanodiffSynthParams.randomized(rows: side, cols: side, seed: seed)
            var rng = SeededRandom(seed: seed ^ 0x10D05E)
            p.dose = exp(rng.uniform(log(1e3)...log(1e4)))
            let (data, truth) = NanodiffSynthesizer.render(p, threads: threads)
            var bright = p
            bright.dose *= 1000
            let reference = NanodiffSynthesizer.render(bright, threads: threads).data.withUnsafeBufferPointer {
                NanodiffPositionAnalysis.analyse($0, angles: p.angles, positions: side * side, width: p.detCols, height: p.detRows,
                                                 anglesDeg: p.anglesDeg, geometry: p.geometry, threads: threads)
            }
            let raw = data.withUnsafeBufferPointer {
                NanodiffPositionAnalysis.analyse($0, angles: p.angles, positions: side * side, width: p.detCols, height: p.detRows,
                                                 anglesDeg: p.anglesDeg, geometry: p.geometry, threads: threads)
            }
            let lpa = data.withUnsafeBufferPointer {
                NanodiffCloudLPAICI.features($0, angles: p.angles, positions: side * side, width: p.detCols, height: p.detRows,
                                            anglesDeg: p.anglesDeg, geometry: p.geometry, threads: threads)
            }
            let keep = NanodiffEvaluation.mask(width: side, height: side, cores: p.dislocations.map { SIMD2($0.x, $0.y) }, margin: 1)
            func score(_ f: [NanodiffFeatures?]) -> (strain: Double, tilt: Double, width: Double) {
                let features = f.map { $0 ?? NanodiffFeatures() }
                guard let frame = NanodiffLatticeFrame.median(of: features.filter(\.isValid).map(\.q)) else { return (.nan, .nan, .nan) }
                func map(_ g: (NanodiffFeatures) -> Double) -> [Double] { features.map { $0.isValid ? g($0) : .nan } }
                let sx = NanodiffEvaluation.rms(estimate: map { frame.tilts($0.q).x }, truth: truth.tiltX, keep: keep)
                let sy = NanodiffEvaluation.rms(estimate: map { frame.tilts($0.q).y }, truth: truth.tiltY, keep: keep)
                var sq = 0.0, n = 0
                for (i, e) in features.enumerated() where keep[i] && e.isValid {
                    guard let r = reference[i], r.isValid else { continue }
                    for d in 0..<3 where r.widths[d] > 0 { let v = e.widths[d] / r.widths[d] - 1; sq += v * v; n += 1 }
                }
                return (NanodiffEvaluation.rms(estimate: map { frame.strain($0.q) }, truth: truth.strain, keep: keep),
                        ((sx * sx + sy * sy) / 2).squareRoot(), n > 0 ? (sq / Double(n)).squareRoot() : .nan)
            }
            let draw = Draw(seed: seed, dose: p.dose, raw: score(raw), lpa: score(lpa))
            report(draw)
            out.append(draw)
        }
        return out
    }
}
