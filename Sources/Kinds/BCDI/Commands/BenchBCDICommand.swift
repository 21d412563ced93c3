import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl bench bcdi`.
struct BenchBCDICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcdi",
        abstract: "Ψ kernel timings: the paper's 256×256×96 case, a fully unmasked 512³ volume, and the derivative method on 128×128×64; the denoising smoothing, the line smoother's precision map and RTS pass (residue_noise), the deconvolution and the hull fill (a 128×128×64 crystal with lines at blur σ = 2).",
        discussion: """
            With --accuracy: the finder's recall and precision over many randomised synthetic \
            volumes instead (no database): --draws volumes per preset (random, noise, ramp-blur, \
            blur, clean), reported as median, 10th percentile and minimum, with the worst draws.
            """)

    @Flag(name: .long, help: "Report line recall/precision over randomised draws instead of timings.")
    var accuracy = false

    @Flag(name: .long, help: "Report how well the blur σ is measured over randomised draws (per preset) instead of timings.")
    var blurEstimate = false

    @Option(name: .long, help: "Randomised volumes per preset (--accuracy).")
    var draws: Int = 50

    @Option(name: .long, help: "Score only this draw (--accuracy; repeatable): its number in the run of --draws.")
    var only: [Int] = []

    @Option(name: .long, help: "Preset to score (--accuracy; repeatable): random, noise, ramp-blur, blur, clean. Default: the first four.")
    var preset: [String] = []

    @Option(name: .long, help: "Seed of the draws (--accuracy).")
    var seed: UInt64 = 12

    @Flag(name: .long, help: "Print every draw (--accuracy).")
    var verbose = false

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `snr` job parameter.")
    var snr: Double = 2

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `psi_cutoff` job parameter, rad.")
    var psiCutoff: Double = 4

    @Option(name: .long, help: "Finder setting to try (--accuracy): shortest open line and smallest loop kept, voxels.")
    var minLength: Double = 4

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `phase_noise` job parameter, rad (0: no denoising).")
    var phaseNoise: Double = 0.1

    @Option(name: .long, help: "Finder setting to try (--accuracy): how core regions become lines: skeleton, split or residues.")
    var tracing: String = BCDILineTracing.residues.rawValue

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `deblur` job parameter, true (the job's default) or false.")
    var deblur: Bool = true

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `deblur_residual` job parameter, voxels.")
    var deblurResidual: Double = 1.0

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `deblur_estimate` job parameter, direct, direct_restored (the job's default) or variogram.")
    var deblurEstimate: String = BCDIBlurEstimator.restored.rawValue

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `deblur_surface` job parameter, hull (the job's default), body, measured, aligned or deconvolved.")
    var deblurSurface: String = BCDIDeblurSurface.hull.rawValue

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `deblur_band` job parameter, voxels (0: the measured blur, rounded up).")
    var deblurBand: Int = 1

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `deblur_measured_noise` job parameter, true (the job's default) or false.")
    var deblurMeasuredNoise: Bool = true

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `support_body` job parameter, crystal (the job's default), lines, off (false) or body (true).")
    var supportBody: String = BCDISupportBody.crystal.rawValue

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `support_notches` job parameter, crystal (the job's default), off (false), hull (true) or chains.")
    var supportNotches: String = BCDISupportNotches.crystal.rawValue

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `fill_ends` job parameter, off (the job's default), ray or clip.")
    var fillEnds: String = BCDIFillEnds.off.rawValue

    @Option(name: .long, help: "Finder setting to try (--accuracy): the `line_smoothing` job parameter, off, residue_noise, residue_noise_blur, residue_noise_blur_ramp or residue_noise_blur_loop (the job's default).")
    var lineSmoothing: String = BCDILineSmoothing.residueNoiseBlurLoop.rawValue

    @Option(name: .long, help: "Threads for the 512³ case.")
    var threads: Int = 2

    @Option(name: .long, help: "Repetitions (best time is reported).")
    var repetitions: Int = 10

    @Flag(name: .long, help: "Skip the 512³ case (needs ≈1.2 GB of memory).")
    var small = false

    @Option(name: .long, help: "Global phase offsets of the derivative method.")
    var offsets: Int = 360

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1…256") }
        guard (1...1000).contains(repetitions) else { throw ValidationError("--repetitions must be 1…1000") }
        guard (1...3600).contains(offsets) else { throw ValidationError("--offsets must be 1…3600") }
        guard (1...100_000).contains(draws) else { throw ValidationError("--draws must be 1…100000") }
        guard BCDILineTracing(rawValue: tracing) != nil else {
            throw ValidationError("--tracing \(tracing): expected one of \(BCDILineTracing.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard BCDIBlurEstimator(rawValue: deblurEstimate) != nil else {
            throw ValidationError("--deblur-estimate \(deblurEstimate): expected direct, direct_restored or variogram")
        }
        guard BCDIDeblurSurface(rawValue: deblurSurface) != nil else {
            throw ValidationError("--deblur-surface \(deblurSurface): expected hull, body, measured, aligned or deconvolved")
        }
        guard BCDISupportNotches(parameter: supportNotches) != nil else {
            throw ValidationError("--support-notches \(supportNotches): expected off (false), hull (true), chains or crystal")
        }
        guard BCDISupportBody(parameter: supportBody) != nil else {
            throw ValidationError("--support-body \(supportBody): expected off (false), body (true), lines or crystal")
        }
        guard BCDIFillEnds(rawValue: fillEnds) != nil else {
            throw ValidationError("--fill-ends \(fillEnds): expected off, ray or clip")
        }
        guard BCDILineSmoothing(rawValue: lineSmoothing) != nil else {
            throw ValidationError("--line-smoothing \(lineSmoothing): expected off, residue_noise, residue_noise_blur, residue_noise_blur_ramp or residue_noise_blur_loop")
        }
        guard only.allSatisfy({ (0..<draws).contains($0) }) else { throw ValidationError("--only: draw numbers are 0…\(draws - 1)") }
        for name in preset where BCDIRandomRanges.preset(name) == nil {
            throw ValidationError("--preset \(name): expected one of \(BCDIRandomRanges.presetNames.joined(separator: ", "))")
        }
    }

    func run() throws {
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        if blurEstimate {
            for name in preset.isEmpty ? ["random", "blur"] : preset {
                let draws = BCDIBlurAccuracy.run(ranges: BCDIRandomRanges.preset(name)!, count: draws, seed: seed, threads: threads)
                if verbose {
                    for d in draws {
                        print(String(format: "  draw %d true %.2f | with lines %@ | without %@ | residues %d %.1fs", d.index, d.trueBlur,
                                     d.withLines.map { String(format: "%.2f", $0) }.joined(separator: " "),
                                     d.withoutLines.map { String(format: "%.2f", $0) }.joined(separator: " "), d.residues, d.seconds))
                    }
                }
                print("preset \(name), \(draws.count) draws, seed \(seed): blur estimates (voxels)")
                print(BCDIBlurAccuracy.summary(draws))
            }
            return
        }
        if accuracy {
            for name in preset.isEmpty ? ["random", "noise", "ramp-blur", "blur"] : preset {
                var settings = BCDIAnalysisSettings()
                settings.snr = snr
                settings.phaseNoise = phaseNoise
                settings.deblur = deblur
                settings.deblurResidual = deblurResidual
                settings.blurEstimator = BCDIBlurEstimator(rawValue: deblurEstimate)!
                settings.deblurSurface = BCDIDeblurSurface(rawValue: deblurSurface)!
                settings.deblurBand = deblurBand
                settings.deblurMeasuredNoise = deblurMeasuredNoise
                settings.supportBody = BCDISupportBody(parameter: supportBody)!
                settings.supportNotches = BCDISupportNotches(parameter: supportNotches)!
                settings.lines.psiCutoff = Float(psiCutoff)
                settings.lines.minFreeLength = minLength
                settings.lines.minLoopDiameter = minLength
                settings.lines.tracing = BCDILineTracing(rawValue: tracing)!
                settings.lines.fillEnds = BCDIFillEnds(rawValue: fillEnds)!
                settings.lines.lineSmoothing = BCDILineSmoothing(rawValue: lineSmoothing)!
                let report = BCDIAccuracy.run(preset: name, ranges: BCDIRandomRanges.preset(name)!, count: draws, seed: seed,
                                              settings: settings, threads: threads, only: only.isEmpty ? nil : only)
                if verbose {
                    for d in report.draws {
                        print(String(format: "  draw %d recall %.3f precision %.3f (resolvable %.3f / %.3f) smoothing %.2f blur %.2f/%.2f lines %d/%d spurious %d %.1fs ", d.index, d.score.recall, d.score.precision, d.resolvable.recall, d.resolvable.precision, d.smoothing, d.measuredBlur, d.trueBlur,
                                     d.trueLines, d.detectedLines, d.spuriousLines, d.seconds) + d.summary
                              + " | missed " + d.losses.missed.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: ", ")
                              + " | wrong " + d.losses.wrong.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: ", ")
                              + String(format: " | carried lines recall %.3f, per line found/carried ", d.presentRecall)
                              + d.lineStatus.map { String(format: "%.2f/%.2f", $0.found, $0.carried) }.joined(separator: " ")
                              + (d.lineStatus.contains { $0.restored != nil }
                                  ? String(format: " | deconvolved noise-free field: restorable lines recall %.3f, per line restored ", d.restorableRecall)
                                      + d.lineStatus.map { String(format: "%.2f", $0.restored ?? 0) }.joined(separator: " ") : "")
                              + (d.loops.isEmpty ? "" : String(format: " | loop radius true/traced (field blur %.2f) ", d.fieldBlur)
                                  + d.loops.map { String(format: "%.2f/%.2f", $0.truth, $0.traced) }.joined(separator: " "))
                              + (d.loopOffsets.isEmpty ? "" : " | loop offsets radial mean/side normal mean/tilt (true ramp's radial/tilt) "
                                  + d.loopOffsets.map { String(format: "%+.2f/%.2f %+.2f/%.2f (%.2f/%.2f)", $0.radialMean, $0.radialSide, $0.normalMean,
                                                               $0.normalTilt, $0.rampRadial, $0.rampTilt)
                                      + " sectors dr/dz/far " + $0.sectors.map { String(format: "%+.1f/%+.1f/%.2f", $0.x, $0.y, $0.z) }.joined(separator: " ") }
                                  .joined(separator: " ")))
                    }
                }
                print(report.description)
            }
            return
        }
        let report = BCDIBenchmark.run(threads: threads, repetitions: repetitions, large: !small, derivativeOffsets: offsets)
        print(report.description)
    }
}
