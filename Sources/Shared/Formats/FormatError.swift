/// A file that could not be read or written, with a message that names the file (and the
/// dataset inside it, for HDF5), says what is wrong and, where there is one, what to do.
///
/// `description` uses the file's last path component, because it ends up in task error
/// columns next to the job's input path; `debugDescription` keeps the full path.
///
///     cannot read f0012.png: PNG IHDR declares 70000×70000 pixels (limit 32768×32768)
public struct FormatError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, for callers that branch on it (tests, retry policy).
    public enum Kind: String, Sendable, Equatable {
        /// The file does not exist or cannot be opened.
        case unreadable
        /// The file ends before the data it declares.
        case truncated
        /// The bytes do not follow the format (bad signature, CRC, header syntax).
        case corrupt
        /// Valid in its format but not something Slipline reads (dtype, Fortran order, RAW mode…).
        case unsupported
        /// Rank, shape or element type differ from what the caller asked for.
        case wrongShape
        /// Declared dimensions exceed a safety limit.
        case tooLarge
        /// A dataset or group path does not exist in the file.
        case missing
        /// Creating or writing the file failed.
        case writeFailed
        /// The caller passed arguments that do not fit the data (buffer size, ranges).
        case invalidArgument
    }

    /// Whether the file was being read or written.
    public enum Operation: String, Sendable, Equatable {
        case read, write
    }

    public var kind: Kind
    public var operation: Operation
    /// Path of the file as given by the caller.
    public var file: String
    /// Path of the dataset inside the file (HDF5), if any.
    public var dataset: String?
    /// What is wrong, e.g. "PNG IHDR declares 70000×70000 pixels (limit 32768×32768)".
    public var problem: String
    /// What the user can do about it, if there is something specific.
    public var fix: String?

    public init(
        _ kind: Kind, _ operation: Operation = .read, file: String, dataset: String? = nil,
        problem: String, fix: String? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.file = file
        self.dataset = dataset
        self.problem = problem
        self.fix = fix
    }

    /// The file name without directories.
    public var fileName: String {
        guard let slash = file.lastIndex(of: "/") else { return file }
        let name = file[file.index(after: slash)...]
        return name.isEmpty ? file : String(name)
    }

    public var description: String { render(name: fileName) }

    public var debugDescription: String { "FormatError.\(kind): " + render(name: file) }

    private func render(name: String) -> String {
        var text = "cannot \(operation.rawValue) \(name)"
        if let dataset { text += " dataset \(dataset)" }
        text += ": \(problem)"
        if let fix { text += "; \(fix)" }
        return text
    }
}

extension FormatError {
    /// Same error about the same file, with `dataset` set (used when a file-level helper fails
    /// inside a dataset operation).
    func inDataset(_ path: String?) -> FormatError {
        var copy = self
        if copy.dataset == nil { copy.dataset = path }
        return copy
    }
}
