import ArgumentParser

/// `ctl`: the one command-line tool for users, cluster nodes and operators.
@main
struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Slipline: find and track dislocations in microscopy data, on a PostgreSQL task queue.",
        subcommands: [
            RunCommand.self, SubmitCommand.self, StatusCommand.self, WaitCommand.self,
            CancelCommand.self, RetryCommand.self, WorkerCommand.self, CoordinatorCommand.self,
            DbCommand.self, SqlCommand.self, BenchCommand.self, SynthCommand.self, EvalCommand.self, ScaleCommand.self,
            ExportCommand.self, ServeCommand.self,
        ])
}
