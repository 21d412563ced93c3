import ArgumentParser

/// `ctl eval KIND`: scores a job against the ground truth of a synthetic dataset.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a job's results against synthetic ground truth.",
        subcommands: [EvalTEMCommand.self, EvalBCDICommand.self, EvalSTEM4DCommand.self])
}
