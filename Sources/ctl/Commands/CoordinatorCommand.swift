import ArgumentParser
import Coordinator
import Foundation
import Kinds
import Shared

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run a coordinator: plans submitted jobs; as leader, reaps expired leases.")

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let logger = db.logger("slipline.coordinator", default: .info)
        let info = try db.conninfo(migrate: true)
        let coordinator = CoordinatorService(conninfo: info, planners: Kinds.planners, logger: logger)
        let trap = SignalTrap { _ in coordinator.stop.signal() }
        coordinator.run()
        withExtendedLifetime(trap) {}
    }
}
