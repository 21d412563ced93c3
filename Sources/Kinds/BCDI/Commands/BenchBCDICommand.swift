import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl bench bcdi`.
struct BenchBCDICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcdi",
        abstract: "Ψ kernel timings: the paper's 256×256×96 case, a fully unmasked 512³ volume, and the derivative method on 128×128×64.")

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
    }

    func run() throws {
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        let report = BCDIBenchmark.run(threads: threads, repetitions: repetitions, large: !small, derivativeOffsets: offsets)
        print(report.description)
    }
}
