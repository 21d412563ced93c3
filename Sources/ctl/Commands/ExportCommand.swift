import ArgumentParser
import Foundation
import Shared

/// `ctl export JOB`: a job's results as JSON or CSV (and, for kinds with 3D lines, legacy VTK),
/// dispatched by the job's kind.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a job's results.",
        discussion: """
            json: everything the job produced, as one document. csv: one row per result item (bcdi: \
            per line; tem: per dislocation with its track, velocity and pair distance; points as a JSON column). vtk (bcdi): every line as legacy-VTK polydata for \
            ParaView, with cell scalars volume_index, line_id and track_id.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv, vtk
    }

    @Argument(help: "The job id.")
    var job: Int64

    @Option(name: .long, help: "json, csv or vtk.")
    var format: Format = .json

    @Option(name: .long, help: "Write to this file (default: stdout).")
    var out: String?

    @OptionGroup var db: DatabaseOptions

    /// Exporters by job kind.
    static let exporters: [String: any JobExporter] = ["bcdi": BCDIExporter(), "tem": TEMExporter(), "stem4d": STEM4DExporter()]

    func run() throws {
        let conn = try db.connect()
        guard let record = try TaskQueue.job(conn, id: job) else { throw UserError("no job \(job)") }
        guard let exporter = Self.exporters[record.kind] else {
            throw UserError("export of \(record.kind) jobs is not available in this build (exportable kinds: \(Self.exporters.keys.sorted().joined(separator: ", "))); query the views with `ctl sql`")
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

/// Turns one kind's results into an export document.
protocol JobExporter: Sendable {
    var formats: [ExportCommand.Format] { get }
    func export(_ conn: PGConnection, job: JobRecord, format: ExportCommand.Format) throws -> String
}
