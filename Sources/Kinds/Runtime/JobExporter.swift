import ArgumentParser
import Foundation
import Shared

/// `ctl export --format`.
public enum ExportFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case json, csv, vtk
}

/// Turns one kind's results into an export document.
public protocol JobExporter: Sendable {
    /// The formats this kind exports.
    var formats: [ExportFormat] { get }
    func export(_ conn: PGConnection, job: JobRecord, format: ExportFormat) throws -> String
}
