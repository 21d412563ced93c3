import ArgumentParser

/// `ctl synth KIND OUTDIR`: synthetic datasets with their ground truth.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic dataset with its ground truth.",
        subcommands: [SynthTEMCommand.self, SynthBCDICommand.self, SynthSTEM4DCommand.self])
}
