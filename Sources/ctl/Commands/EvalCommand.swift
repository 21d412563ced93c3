import ArgumentParser
import Kinds

/// `ctl eval KIND`: scores a job against the ground truth of a synthetic dataset, one
/// subcommand per kind.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a job's results against synthetic ground truth.",
        subcommands: Kinds.all.compactMap(\.evalCommand))
}
