import ArgumentParser
import Foundation
import Kernels

/// `ctl bench nanodiff`.
struct BenchNanodiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nanodiff",
        abstract: "Per-position analysis throughput on a 256² × 100-angle uint16 block in memory, against the measured read bandwidth.")

    @Option(name: .long, help: "Detector side, pixels.")
    var detector: Int = 256
    @Option(name: .long, help: "Rocking angles.")
    var angles: Int = 100
    @Option(name: .long, help: "Scan positions in the block.")
    var positions: Int = 16
    @Option(name: .long, help: "Repetitions (best time is reported).")
    var repetitions: Int = 3
    @Option(name: .long, help: "Instead of timing: accuracy over this many randomised synthetic scans (median and 10th percentile).")
    var quality: Int?
    @Option(name: .long, help: "Scan side of the --quality draws, positions.")
    var scan: Int = 24
    @Flag(name: .long, help: "With --quality: every draw exactly --scan × --scan positions (to time the merge on a layout); prints the seconds of the maps' analysis and of each boundary test after the first.")
    var fixedScan = false
    @Option(name: .long, help: "Seed of the first --quality draw (draws use consecutive seeds).")
    var seed: UInt64 = 1
    @Option(name: .long, help: "With --quality: write each draw's maps, defects and parameters to this directory as draw-<seed>.json.")
    var mapsDir: String?
    @Flag(name: .long, help: "With --quality: skip the PCA/autoencoder comparison (the slow part).")
    var skipEmbeddings = false
    @Option(name: .long, help: "With --quality: the tilt-boundary tests to compare on the same draws, comma-separated: a null (analytic, simulated, bootstrap), optionally with /sharp or /blurred (how a found line enters the model) and /global, /local or /correlated (the misfit model), e.g. analytic/blurred/local; the first is reported in the summary lines.")
    var boundaryNulls: String = NanodiffBoundaryNull.standard.rawValue
    @Option(name: .long, help: "Instead: raw against LPA-ICI-denoised 3D signals at low dose over this many randomised scans of --scan/2 positions a side.")
    var cloudLpa: Int?
    @Flag(name: .long, help: "Instead: time a shard's read + analysis of a 5D HDF5 file in the page cache (contiguous and one chunk per frame).")
    var file = false
    @Option(name: .long, help: "Scan rows of the --file benchmark's file (positions per row: --positions).")
    var rows: Int = 2
    @Option(name: .long, help: "Directory for the --file benchmark's temporary file.")
    var directory: String = NSTemporaryDirectory()

    func validate() throws {
        guard (16...1024).contains(detector) else { throw ValidationError("--detector must be 16…1024") }
        guard (1...1000).contains(angles) else { throw ValidationError("--angles must be 1…1000") }
        guard (1...4096).contains(positions) else { throw ValidationError("--positions must be 1…4096") }
        guard (1...100).contains(repetitions) else { throw ValidationError("--repetitions must be 1…100") }
        guard (1...64).contains(rows) else { throw ValidationError("--rows must be 1…64") }
        guard (6...(fixedScan ? 400 : 200)).contains(scan) else { throw ValidationError("--scan must be 6…200 (…400 with --fixed-scan)") }
        guard !nullList.isEmpty, nullList.count == boundaryNulls.split(separator: ",").count else {
            throw ValidationError("--boundary-nulls: expected a comma-separated list of analytic, simulated, bootstrap, each optionally /sharp or /blurred and /global, /local or /correlated")
        }
        guard detector * detector * angles * positions * 2 <= 2 << 30 else { throw ValidationError("the block would exceed 2 GiB: use fewer --positions") }
    }

    var nullList: [NanodiffQualityStudy.BoundaryVariant] {
        boundaryNulls.split(separator: ",").compactMap { NanodiffQualityStudy.BoundaryVariant(String($0)) }
    }

    func run() throws {
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        if let quality {
            try runQuality(quality)
            return
        }
        if let cloudLpa {
            runCloudLPA(cloudLpa)
            return
        }
        if file {
            print(try NanodiffFileBenchmark.run(detector: detector, angles: angles, positions: positions, rows: rows,
                                                repetitions: repetitions, directory: directory))
            return
        }
        print(NanodiffBenchmark.run(detector: detector, angles: angles, positions: positions, repetitions: repetitions).description)
    }

    func runQuality(_ draws: Int) throws {
        print("nanodiff quality: \(draws) randomised scans of \(scan * 2 / 3)…\(scan * 4 / 3) rows and columns (seeds \(seed)…\(seed + UInt64(draws) - 1)); map RMS leaves out positions within 1 step of a core")
        let results = try NanodiffQualityStudy.run(draws: draws, side: scan, firstSeed: seed, threads: Parallel.defaultThreads(),
                                                     mapsDirectory: mapsDir, embeddings: !skipEmbeddings, nulls: nullList,
                                                     fixedSide: fixedScan) { d in
            let p = d.params, b = p.boundary
            print(String(format: "  seed %llu: %d×%d, dose %.3g, bg %.3g/px, beam %.2f step, step %.0f Å, %d angles, E %.1f keV, d0 %.2f Å, boundary %.3f° at %.0f° (snr %.0f, with misfit %.1f), dilatation %.2g: strain_rms %.3g (lpa %.3g), tilt_rms %.3g (lpa %.3g), recall %d/%d, precision %.2f, boundaries %d/%d of %d, silhouette pca %.3f ae %.3f cloud-ae %.3f, ARI pca %.3f ae %.3f cloud-ae %.3f",
                         d.seed, d.rows, d.cols, p.dose, p.background, p.beamFWHM, p.stepAngstrom, p.angles, p.energyKeV, p.d0,
                         (b?.misorientationRad ?? 0) * 180 / .pi, b?.angleDeg ?? 0, d.boundarySNR.poisson, d.boundarySNR.effective, p.region?.strain ?? 0, d.score.strainRMS, d.denoised.strainRMS,
                         d.score.tiltRMS, d.denoised.tiltRMS, d.score.truePositives, d.score.trueCount, d.score.precision,
                         d.boundaries.truePositives, d.boundaries.trueCount, d.boundaries.detectedCount, d.separation.pca.silhouette,
                         d.separation.autoencoder.silhouette, d.separation.cloudAutoencoder.silhouette, d.separation.pca.ari,
                         d.separation.autoencoder.ari, d.separation.cloudAutoencoder.ari))
            print("    boundary tests: " + d.byNull.map { b in
                "\(b.variant.name) \(b.score.truePositives)/\(b.score.trueCount) of \(b.score.detectedCount) ["
                    + b.statistics.map { String(format: "F %.3g > %.3g", $0.f, $0.threshold) }.joined(separator: ", ") + "]"
            }.joined(separator: "; "))
            if fixedScan {
                print("    seconds: maps (with \(nullList.first?.name ?? "")) " + String(format: "%.2f", d.mapsSeconds)
                      + zip(nullList.dropFirst(), d.searchSeconds).map { "; \($0.name) " + String(format: "%.2f", $1) }.joined())
            }
        }
        func line(_ name: String, _ values: [Double], errors: Bool) {
            let q = NanodiffQualityStudy.quantile
            let tail = errors ? "p90 (10th percentile of quality)" : "p10"
            print("\(name) median " + String(format: "%.4g", q(values, 0.5)) + ", \(tail) " + String(format: "%.4g", q(values, errors ? 0.9 : 0.1)))
        }
        line("strain_rms", results.map(\.score.strainRMS), errors: true)
        line("strain_rms_lpa", results.map(\.denoised.strainRMS), errors: true)
        line("tilt_rms", results.map(\.score.tiltRMS), errors: true)
        line("tilt_rms_lpa", results.map(\.denoised.tiltRMS), errors: true)
        line("recall", results.map(\.score.recall), errors: false)
        line("precision", results.map(\.score.precision), errors: false)
        let s = results.map(\.separation)
        line("defect/matrix silhouette, PCA of the descriptor", s.map(\.pca.silhouette), errors: false)
        line("defect/matrix silhouette, descriptor autoencoder", s.map(\.autoencoder.silhouette), errors: false)
        line("defect/matrix silhouette, point-cloud autoencoder", s.map(\.cloudAutoencoder.silhouette), errors: false)
        line("defect/matrix ARI (k-means, k = 2), PCA of the descriptor", s.map(\.pca.ari), errors: false)
        line("defect/matrix ARI, descriptor autoencoder", s.map(\.autoencoder.ari), errors: false)
        line("defect/matrix ARI, point-cloud autoencoder", s.map(\.cloudAutoencoder.ari), errors: false)
        print("PCA beats the descriptor autoencoder in \(s.filter { $0.pca.silhouette > $0.autoencoder.silhouette }.count) of \(s.count) draws (silhouette), "
              + "the point-cloud autoencoder in \(s.filter { $0.pca.silhouette > $0.cloudAutoencoder.silhouette }.count) (silhouette) and \(s.filter { $0.pca.ari > $0.cloudAutoencoder.ari }.count) (ARI)")
        line("boundary recall", results.map(\.boundaries.recall), errors: false)
        line("boundary precision", results.map(\.boundaries.precision), errors: false)
        let found = results.reduce(0) { $0 + $1.boundaries.truePositives }, truth = results.reduce(0) { $0 + $1.boundaries.trueCount }
        let reported = results.reduce(0) { $0 + $1.boundaries.detectedCount }
        print("tilt boundaries: \(found)/\(truth) found; \(reported - found) other line(s) reported in all (\(results.filter { $0.boundaries.detectedCount > $0.boundaries.truePositives }.count) draws with any); mean precision \(String(format: "%.3f", results.map(\.boundaries.precision).reduce(0, +) / Double(max(1, results.count))))")
        printBoundaryDetectability(results)
        for (k, null) in nullList.enumerated() {
            let scores = results.map { $0.byNull[k].score }
            let found = scores.reduce(0) { $0 + $1.truePositives }, truth = scores.reduce(0) { $0 + $1.trueCount }
            let other = scores.reduce(0) { $0 + $1.detectedCount - $1.truePositives }
            // Detectable: the true step at least 10 times the per-position noise plus the model misfit.
            let detectable = results.indices.filter { results[$0].boundarySNR.effective >= 10 }
            let foundDetectable = detectable.reduce(0) { $0 + scores[$1].truePositives }
            print("boundary null \(null.name): \(found)/\(truth) found (" + String(format: "%.2f", Double(found) / Double(max(1, truth)))
                  + "), \(other) other line(s) (" + String(format: "%.2f", Double(other) / Double(max(1, scores.count))) + " per draw, "
                  + "\(scores.filter { $0.detectedCount > $0.truePositives }.count) draws with any); detectable (step ≥ 10 × (noise + misfit)): "
                  + "\(foundDetectable)/\(detectable.count)")
            // The regime: the map's smaller side (positions). On small maps the cores and the
            // strained region sit within a few steps of every line (docs/nanodiff.md, session 6).
            let bins: [(String, ClosedRange<Int>)] = [("< 14", 0...13), ("14–19", 14...19), ("≥ 20", 20...Int.max)]
            print("  by the map's smaller side: " + bins.map { name, range in
                let picked = results.indices.filter { range.contains(min(results[$0].rows, results[$0].cols)) }
                let f = picked.reduce(0) { $0 + scores[$1].truePositives }, t = picked.reduce(0) { $0 + scores[$1].trueCount }
                let o = picked.reduce(0) { $0 + scores[$1].detectedCount - scores[$1].truePositives }
                return "\(name): \(f)/\(t) found, \(o) other in \(picked.count) draws"
            }.joined(separator: "; "))
        }
        let tp = results.reduce(0) { $0 + $1.score.truePositives }, n = results.reduce(0) { $0 + $1.score.trueCount }
        print("dislocations found within one step: \(tp)/\(n) over all draws")
    }

    /// Boundary recall by the true step over the per-position tilt noise (Poisson) and over the
    /// noise including the boundary model's misfit: which boundaries are detectable at all.
    func printBoundaryDetectability(_ results: [NanodiffQualityStudy.Draw]) {
        for (name, key) in [("step / tilt noise", \NanodiffQualityStudy.Draw.boundarySNR.poisson),
                            ("step / (tilt noise + model misfit)", \NanodiffQualityStudy.Draw.boundarySNR.effective)] {
            var text = "boundary recall by \(name):"
            for (lo, hi) in [(0.0, 3.0), (3, 10), (10, 30), (30, 100), (100, 300), (300, 1000), (1000, Double.infinity)] {
                let bin = results.filter { $0[keyPath: key] >= lo && $0[keyPath: key] < hi }
                guard !bin.isEmpty else { continue }
                text += " [\(Int(lo)), \(hi.isFinite ? String(Int(hi)) : "∞")) \(bin.reduce(0) { $0 + $1.boundaries.truePositives })/\(bin.count)"
            }
            print(text)
        }
        for (lo, hi) in [(0.005, 0.01), (0.01, 0.02), (0.02, 0.04)] {
            let bin = results.filter { let a = abs($0.params.boundary?.misorientationRad ?? 0) * 180 / .pi; return a >= lo && a < hi }
            print(String(format: "boundary recall at %.3f–%.3f°: %d/%d", lo, hi, bin.reduce(0) { $0 + $1.boundaries.truePositives }, bin.count))
        }
    }

    func runCloudLPA(_ draws: Int) {
        let side = max(6, scan / 2)
        print("nanodiff cloud LPA-ICI: \(draws) randomised \(side)×\(side) scans at 10³–10⁴ counts per position (seeds \(seed)…\(seed + UInt64(draws) - 1)); errors of raw vs denoised 3D signals")
        let results = NanodiffCloudLPAStudy.run(draws: draws, side: side, firstSeed: seed, threads: Parallel.defaultThreads()) { d in
            print(String(format: "  seed %llu: dose %.3g: strain_rms raw %.3g lpa %.3g, tilt_rms raw %.3g lpa %.3g, width rel. rms raw %.3g lpa %.3g",
                         d.seed, d.dose, d.raw.strain, d.lpa.strain, d.raw.tilt, d.lpa.tilt, d.raw.width, d.lpa.width))
        }
        let q = NanodiffQualityStudy.quantile
        for (name, raw, lpa) in [("strain_rms", results.map(\.raw.strain), results.map(\.lpa.strain)),
                                 ("tilt_rms", results.map(\.raw.tilt), results.map(\.lpa.tilt)),
                                 ("width relative rms", results.map(\.raw.width), results.map(\.lpa.width))] {
            let better = zip(raw, lpa).filter { $0.1 < $0.0 }.count
            print("\(name): raw median " + String(format: "%.4g p90 %.4g", q(raw, 0.5), q(raw, 0.9)) + "; LPA-ICI median "
                  + String(format: "%.4g p90 %.4g", q(lpa, 0.5), q(lpa, 0.9)) + "; LPA-ICI better in \(better) of \(results.count) draws")
        }
    }
}
