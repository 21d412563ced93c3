import ArgumentParser
import Kinds
import Shared

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Queue a job for the cluster's coordinators and workers.",
        discussion: "The last line on stdout is `job <ID> queued`.")

    @OptionGroup var job: JobOptions
    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let conn = try db.connect(migrate: true)
        let id = try job.submit(conn)
        print("job \(id) queued")
    }
}
