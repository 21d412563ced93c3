import ArgumentParser
import Coordinator
import Foundation
import Kinds
import Shared

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run a coordinator: plans submitted jobs; as leader, reaps expired leases.")

    @Option(name: .long, help: "Prune the tasks of jobs that ended longer ago than this (e.g. 30d; results stay). Default: keep them (`ctl db prune`).")
    var retention: String?

    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        if let retention, RetentionAge.seconds(retention) == nil {
            throw ValidationError("--retention \(retention) is not an age: give seconds or a number with s, m, h or d (e.g. 30d)")
        }
    }

    func run() throws {
        let logger = db.logger("slipline.coordinator", default: .info)
        let info = try db.conninfo(migrate: true, waitSeconds: 60)
        let configuration = CoordinatorConfiguration(retentionSeconds: retention.flatMap(RetentionAge.seconds))
        let coordinator = CoordinatorService(conninfo: info, planners: Kinds.planners, configuration: configuration, logger: logger)
        let trap = SignalTrap { _ in coordinator.stop.signal() }
        coordinator.run()
        withExtendedLifetime(trap) {}
    }
}
