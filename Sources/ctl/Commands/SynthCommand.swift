import ArgumentParser
import Kinds

/// `ctl synth KIND OUTDIR`: synthetic datasets with their ground truth, one subcommand per kind.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic dataset with its ground truth.",
        subcommands: Kinds.all.compactMap(\.synthCommand))
}
