import Coordinator
import Foundation
import Shared

/// The job's output directory, and the one guard on everything tasks write.
///
/// Checked when the job is planned (`prepare`: created, and a file written and removed in
/// it), so that `--param output_dir=/proc/x` fails the job at once with a message naming the
/// directory, rather than after every shard ran. Tasks then build their paths through
/// `file(_:)`/`check(_:)`, which refuse anything outside it.
public struct OutputDirectory: Sendable, Equatable {
    /// Absolute, standardised.
    public let path: String

    /// The output directory a job's parameters name (the coordinator always sets `output_dir`).
    public init(params: JobParams) throws {
        guard let value = params.values["output_dir"], !value.isEmpty else {
            throw TaskError("the job has no output_dir parameter (the coordinator sets it when it plans the job; was it submitted by hand?)")
        }
        self.init(path: value)
    }

    public init(path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `relative` inside this directory.
    public func file(_ relative: String) -> String {
        (path as NSString).appendingPathComponent(relative)
    }

    /// `file`, standardised, if it lies inside this directory; else an error naming both.
    public func check(_ file: String) throws -> String {
        let standard = URL(fileURLWithPath: file).standardizedFileURL.path
        guard standard.hasPrefix(path.hasSuffix("/") ? path : path + "/") else {
            throw TaskError("refusing to write \(file): it is outside the job's output directory \(path)")
        }
        return standard
    }

    /// Creates the directory if needed and proves it writable; the error names the directory
    /// and what to do.
    public func prepare() throws {
        // mkdir(2) one level at a time: errno gives a reason a user can act on ("Permission
        // denied", "Not a directory"), where Foundation only says "error 512".
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            var info = stat()
            if stat(partial, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else { throw unwritable("\(partial) is not a directory") }
                continue
            }
            guard mkdir(partial, 0o755) == 0 || errno == EEXIST else { throw unwritable(String(cString: strerror(errno))) }
        }
        let probe = file(".slipline-write-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw unwritable(String(cString: strerror(errno))) }
        close(fd)
        unlink(probe)
    }

    /// Removes temporaries that writers killed mid-write left behind (`AtomicFile`); the merge
    /// calls this once every shard has ended. Never fails.
    public func removeStaleTemporaries(olderThan seconds: Double = 600) -> [String] {
        AtomicFile.removeStaleTemporaries(under: path, minimumAge: seconds)
    }

    private func unwritable(_ reason: String) -> PlanError {
        PlanError("the output directory \(path) cannot be written (\(reason)): pass --param output_dir=DIR naming a directory that every worker of the job can write")
    }
}
