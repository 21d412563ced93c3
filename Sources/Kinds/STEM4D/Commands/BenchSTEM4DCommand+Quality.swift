import ArgumentParser
import Foundation
import Kernels

extension BenchSTEM4DCommand {
    /// `--quality MODE`: every draw's figures, then median, 10th and 90th percentile.
    func runQuality(_ mode: String) throws {
        let content: STEM4DSynthParams.Content = mode == "particles" ? .spheres : .lines
        guard probeBox >= 0, probeBox <= 4 else { throw ValidationError("--probe-box \(probeBox): expected a width of 0…4 scan px") }
        let side = scan ?? (mode == "particles" ? 64 : 128)
        var extra: [String: String] = [:]
        for kv in params {
            let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--param \(kv): expected KEY=VALUE") }
            extra[parts[0]] = parts[1]
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-stem4d-quality-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        say("bench stem4d --quality \(mode): \(draws) randomised \(side)×\(side)-scan cubes (seeds \(seed)…\(seed + UInt64(draws) - 1)), "
              + "each through the planner, shards and merge in this process")
        say("seed  det    R_bf  α/mrad  rot°   counts  slab  bg    φ°     " + (mode == "particles"
            ? "r-range    vf%   ovl%  truth found recall prec  |Δz|   |Δg1|  z-scale merge-CPU-s" : "lines  contrast  truth found recall prec  |Δz|  z-scale"))
        var draws: [STEM4DQualityHarness.Draw] = []
        var overlapping: [Double] = []
        for k in 0..<self.draws {
            let s = seed + UInt64(k)
            let d = try STEM4DQualityHarness.run(content, scan: side, seed: s, directory: "\(root)/draw-\(s)", extra: extra,
                                                 probeBox: probeBox)
            draws.append(d)
            if let keep = ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_KEEP"] {
                // For study outside the bench: the draw's parameters and stereo angle, and the job's
                // particles.json (every column, depth_sigma and significance included).
                try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
                struct Kept: Encodable { var params: STEM4DSynthParams; var stereoAngleDeg: Double?; var truthSpheres: [[Double]] }
                if let data = try? JSONEncoder().encode(Kept(params: d.params, stereoAngleDeg: d.stereoAngleDeg, truthSpheres: d.truthSpheres)) {
                    FileManager.default.createFile(atPath: "\(keep)/draw-\(s).json", contents: data)
                }
                try? FileManager.default.copyItem(atPath: "\(root)/draw-\(s)/out/stem4d/particles.json", toPath: "\(keep)/draw-\(s)-particles.json")
            }
            try? FileManager.default.removeItem(atPath: "\(root)/draw-\(s)")
            let p = d.params
            var line = String(format: "%-5llu %2d×%-2d %5.1f %6.1f %6.1f %7.2f %5.1f %5.2f %5@ ", s, p.detRows, p.detCols, p.bfRadius,
                              p.convergenceMrad, p.scanRotationDeg, p.bfCounts, p.slabThickness, p.backgroundAbsorption,
                              d.stereoAngleDeg.map { String(format: "%.2f", $0) } ?? "–")
            if mode == "particles" {
                let volume = Double(p.scanRows * p.scanCols) * p.slabThickness
                let vf = 100 * d.truthSpheres.map { 4 / 3 * .pi * pow($0[3], 3) }.reduce(0, +) / volume
                let ovl = 100 * STEM4DQualityHarness.overlappingFraction(d.truthSpheres)
                overlapping.append(ovl / 100)
                line += String(format: "%4.1f–%-4.1f %5.1f %5.1f %5d %5d %6.3f %5.3f %6.3f %6.3f %6.3f %7.2f", p.sphereRadiusMin, p.sphereRadiusMax, vf, ovl,
                               d.truthCount, d.foundCount, d.recall, d.precision, d.medianDepthError, d.rdfPeakError, d.depthScale,
                               d.mergeCPUSeconds)
            } else {
                line += String(format: "%5d  %.2f–%.2f %5d %5d %6.3f %5.3f %6.3f %6.3f", p.lineCount, p.lineContrastMin ?? p.lineContrast,
                               p.lineContrast, d.truthCount, d.foundCount, d.recall, d.precision, d.medianDepthError, d.depthScale)
            }
            say(line)
            if verbose {
                for note in d.notes { say("      note: \(note)") }
                say("      " + d.details)
            }
        }
        func report(_ name: String, _ values: [Double], unit: String = "") {
            let s = STEM4DQualityHarness.summary(values)
            say(String(format: "%@: median %.3f%@, p10 %.3f, p90 %.3f (%d draws)", name, s.median, unit, s.p10, s.p90, s.n))
        }
        report("recall", draws.map(\.recall))
        report("precision", draws.map(\.precision))
        report("median depth error", draws.map(\.medianDepthError), unit: " px")
        if mode == "particles" {
            report("g(r) first-peak error", draws.map(\.rdfPeakError), unit: " px")
            report("spheres overlapping another in projection (xy gap < 1 px)", overlapping)
            report("merge CPU time per draw (with particle_model=false on the same draws: the fit's cost)", draws.map(\.mergeCPUSeconds), unit: " s")
            report("reported depth σ (median per draw)", draws.map(\.medianDepthSigma), unit: " px")
            report("matched |Δz| / reported σ (median per draw; 0.674 if calibrated)", draws.map(\.depthZScore))
        }
        report("depth scale (found/true)", draws.map(\.depthScale))
        let steep = draws.filter { ($0.stereoAngleDeg ?? 0) >= 7 }
        if !steep.isEmpty && steep.count < draws.count {
            report("recall, φ ≥ 7°", steep.map(\.recall))
            report("median depth error, φ ≥ 7°", steep.map(\.medianDepthError), unit: " px")
            report("precision, φ ≥ 7°", steep.map(\.precision))
            report("precision, φ < 4°", draws.filter { ($0.stereoAngleDeg ?? 0) < 4 }.map(\.precision))
        }
        let lowDose = draws.filter { $0.params.bfCounts < 3 }
        if !lowDose.isEmpty && lowDose.count < draws.count {
            report("recall, < 3 counts per BF pixel", lowDose.map(\.recall))
            report("precision, < 3 counts per BF pixel", lowDose.map(\.precision))
        }
        let skipped = draws.filter { $0.notes.joined().contains("skipped") }.count
        if skipped > 0 { say("\(skipped) draw(s) had a default skipped with a note") }
    }
}

/// Unbuffered, so a long run shows each draw as it ends, in order with the header.
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
