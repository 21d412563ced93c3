import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl eval nanodiff --truth OUTDIR --job J`: strain and tilt map RMS errors and dislocation
/// recall within one scan step, tilt-boundary recall and precision (a line within 1.5 steps and
/// 10° of the true one), from the rows of `nanodiff_points` and `nanodiff_defects`.
struct EvalNanodiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nanodiff",
        abstract: "Strain/tilt RMS errors, dislocation and tilt-boundary recall/precision of a nanodiff job against `ctl synth nanodiff` truth.")

    @OptionGroup var target: EvalTarget

    @Option(name: .long, help: "Distance within which a dislocation counts as found, scan steps.")
    var tolerance: Double = 1
    @Flag(name: .long, help: "Score the LPA-ICI denoised maps (strain_lpa, tilt_*_lpa) instead of the raw ones.")
    var denoised = false
    @Option(name: .long, help: "Leave positions within this many steps of a true core out of the map RMS (there the beam sees lattice rotations beyond the rocking range; 0 scores every position).")
    var coreMargin: Double = 1

    func run() throws {
        let (truth, conn, record) = try target.load(NanodiffTruth.self, kind: "nanodiff")
        let job = record.id
        let suffix = denoised ? "_lpa" : ""
        var strainSq = 0.0, tiltSq = 0.0, n = 0, tp = 0, trueCount = 0, detectedCount = 0
        var boundaries = NanodiffEvaluation.BoundaryScore(truePositives: 0, trueCount: 0, detectedCount: 0)
        for scan in truth.scans {
            let r = try conn.exec("SELECT x, y, strain\(suffix), tilt_x\(suffix), tilt_y\(suffix) FROM nanodiff_points WHERE job_id = $1 AND scan_index = $2", [job, scan.scan_index])
            guard r.rowCount > 0 else {
                print("  scan \(scan.scan_index) (\(scan.file)): not analysed by job \(job)")
                continue
            }
            var strain = [Double](repeating: .nan, count: scan.rows * scan.cols), tx = strain, ty = strain
            for row in 0..<r.rowCount {
                guard let x = r.int(row, 0), let y = r.int(row, 1), x < scan.cols, y < scan.rows else { continue }
                strain[y * scan.cols + x] = r.double(row, 2) ?? .nan
                tx[y * scan.cols + x] = r.double(row, 3) ?? .nan
                ty[y * scan.cols + x] = r.double(row, 4) ?? .nan
            }
            let d = try conn.exec("SELECT x, y FROM nanodiff_defects WHERE job_id = $1 AND scan_index = $2 AND kind = 'dislocation'", [job, scan.scan_index])
            let detected = (0..<d.rowCount).map { SIMD2(d.double($0, 0) ?? .nan, d.double($0, 1) ?? .nan) }
            let cores = scan.dislocations.map { SIMD2($0[0], $0[1]) }
            let b = try conn.exec("SELECT x, y, points::text FROM nanodiff_defects WHERE job_id = $1 AND scan_index = $2 AND kind = 'tilt_boundary'", [job, scan.scan_index])
            let lines = (0..<b.rowCount).map { row in
                let points = (try? JSONSerialization.jsonObject(with: Data((b.string(row, 2) ?? "[]").utf8))) as? [[Double]] ?? []
                return NanodiffDefect(kind: .tiltBoundary, x: b.double(row, 0) ?? .nan, y: b.double(row, 1) ?? .nan, strength: 0, points: points)
            }
            let trueLines = scan.params.boundary.map { [SIMD3($0.x, $0.y, $0.angleDeg)] } ?? []
            let bs = NanodiffEvaluation.scoreBoundaries(truth: trueLines, detected: lines)
            boundaries.truePositives += bs.truePositives; boundaries.trueCount += bs.trueCount; boundaries.detectedCount += bs.detectedCount
            let s = NanodiffEvaluation.score(width: scan.cols, height: scan.rows, strain: strain, trueStrain: scan.strain, tiltX: tx, tiltY: ty,
                                             trueTiltX: scan.tilt_x, trueTiltY: scan.tilt_y, cores: cores, detected: detected,
                                             tolerance: tolerance, margin: coreMargin)
            print("  scan \(scan.scan_index) (\((scan.file as NSString).lastPathComponent)): " + String(format: "strain rms %.3g, tilt rms %.3g rad, ", s.strainRMS, s.tiltRMS)
                + "dislocations \(s.truePositives)/\(s.trueCount) found, \(s.detectedCount) detected, boundaries \(bs.truePositives)/\(bs.trueCount) found, \(bs.detectedCount) detected, \(s.positionsScored) positions scored")
            strainSq += s.strainRMS * s.strainRMS * Double(s.positionsScored)
            tiltSq += s.tiltRMS * s.tiltRMS * Double(s.positionsScored)
            n += s.positionsScored; tp += s.truePositives; trueCount += s.trueCount; detectedCount += s.detectedCount
        }
        print("nanodiff eval: job \(job) against \(target.truthFile), \(truth.scans.count) scan(s), \(denoised ? "denoised" : "raw") maps, tolerance \(tolerance) steps")
        print(String(format: "strain_rms %.6g", n > 0 ? (strainSq / Double(n)).squareRoot() : .nan))
        print(String(format: "tilt_rms %.6g", n > 0 ? (tiltSq / Double(n)).squareRoot() : .nan))
        print(String(format: "recall %.4f", trueCount > 0 ? Double(tp) / Double(trueCount) : 1))
        print(String(format: "precision %.4f", detectedCount > 0 ? Double(tp) / Double(detectedCount) : (trueCount == 0 ? 1 : 0)))
        print(String(format: "boundary_recall %.4f", boundaries.recall))
        print(String(format: "boundary_precision %.4f", boundaries.precision))
    }
}
