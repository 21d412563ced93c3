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
        print(NanodiffBenchmark.run(detector: detector, angles: angles, positions: positions, repetitions: repetitions).description)
    }
}
