import ArgumentParser
import Foundation
import Kinds
import Shared

/// `ctl export JOB`: a job's results as JSON or CSV (and, for kinds with 3D lines, legacy VTK),
/// by the exporter of the job's kind.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a job's results.",
        discussion: """
            json: everything the job produced, as one document. csv: one row per result item (bcdi: \
            per line; tem: per dislocation with its track, velocity and pair distance; points as a JSON column). vtk (bcdi): every line as legacy-VTK polydata for \
            ParaView, with cell scalars volume_index, line_id and track_id.
            """)

    @Argument(help: "The job id.")
    var job: Int64

    @Option(name: .long, help: "json, csv or vtk.")
    var format: ExportFormat = .json

    @Option(name: .long, help: "Write to this file (default: stdout).")
    var out: String?

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let conn = try db.connect()
        guard let record = try TaskQueue.job(conn, id: job) else { throw UserError("no job \(job)") }
        guard let exporter = Kinds.named(record.kind)?.exporter else {
            let exportable = Kinds.all.filter { $0.exporter != nil }.map(\.name)
            throw UserError("export of \(record.kind) jobs is not available in this build (exportable kinds: \(exportable.joined(separator: ", "))); query the views with `ctl sql`")
        }
        guard exporter.formats.contains(format) else {
            throw UserError("\(record.kind) jobs export as \(exporter.formats.map(\.rawValue).joined(separator: ", ")), not \(format.rawValue)")
        }
        let text = try exporter.export(conn, job: record, format: format)
        if let out {
            try AtomicFile.write(out, text: text)
            print("wrote \(out)")
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
