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
    @Option(name: .long, help: "Seed of the first --quality draw (draws use consecutive seeds).")
    var seed: UInt64 = 1

    func validate() throws {
        guard (16...1024).contains(detector) else { throw ValidationError("--detector must be 16…1024") }
        guard (1...1000).contains(angles) else { throw ValidationError("--angles must be 1…1000") }
        guard (1...4096).contains(positions) else { throw ValidationError("--positions must be 1…4096") }
        guard (1...100).contains(repetitions) else { throw ValidationError("--repetitions must be 1…100") }
        guard detector * detector * angles * positions * 2 <= 2 << 30 else { throw ValidationError("the block would exceed 2 GiB: use fewer --positions") }
    }

    func run() throws {
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        if let quality {
            try runQuality(quality)
            return
        }
        print(NanodiffBenchmark.run(detector: detector, angles: angles, positions: positions, repetitions: repetitions).description)
    }

    func runQuality(_ draws: Int) throws {
        print("nanodiff quality: \(draws) randomised \(scan)×\(scan) scans (seeds \(seed)…\(seed + UInt64(draws) - 1)); map RMS leaves out positions within 1 step of a core")
        let results = try NanodiffQualityStudy.run(draws: draws, rows: scan, cols: scan, firstSeed: seed, threads: Parallel.defaultThreads()) { d in
            let p = d.params
            print(String(format: "  seed %llu: dose %.3g, bg %.3g/px, beam %.2f step, step %.0f Å, %d angles, E %.1f keV, d0 %.2f Å: strain_rms %.3g (lpa %.3g), tilt_rms %.3g (lpa %.3g), recall %d/%d, precision %.2f, separation pca %.3f ae %.3f",
                         d.seed, p.dose, p.background, p.beamFWHM, p.stepAngstrom, p.angles, p.energyKeV, p.d0, d.score.strainRMS, d.denoised.strainRMS,
                         d.score.tiltRMS, d.denoised.tiltRMS, d.score.truePositives, d.score.trueCount, d.score.precision, d.pcaSeparation, d.autoencoderSeparation))
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
        line("defect/matrix separation, PCA (silhouette)", results.map(\.pcaSeparation), errors: false)
        line("defect/matrix separation, autoencoder (silhouette)", results.map(\.autoencoderSeparation), errors: false)
        let wins = results.filter { $0.pcaSeparation > $0.autoencoderSeparation }.count
        print("PCA separates defect regions better in \(wins) of \(results.count) draws")
        let boundaries = results.filter(\.boundaryFound).count, spurious = results.reduce(0) { $0 + $1.spuriousBoundaries }
        print("tilt boundary found in \(boundaries) of \(results.count) draws; \(spurious) other boundary line(s) reported in all (\(results.filter { $0.spuriousBoundaries > 0 }.count) draws with any)")
        let tp = results.reduce(0) { $0 + $1.score.truePositives }, n = results.reduce(0) { $0 + $1.score.trueCount }
        print("dislocations found within one step: \(tp)/\(n) over all draws")
    }
}
