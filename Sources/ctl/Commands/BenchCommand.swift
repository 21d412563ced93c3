import ArgumentParser
import Kinds

/// `ctl bench KIND`: benchmarks that print their figures (one per kind, and the queue's scaling).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print their figures.",
        subcommands: Kinds.all.compactMap(\.benchCommand) + [ScaleBench.self, WorkersBench.self, HistoryBench.self, BenchFormatsCommand.self])
}
