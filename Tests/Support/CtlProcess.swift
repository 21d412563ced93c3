import Foundation
import Glibc

/// The real `ctl` binary, run as a child process: for end-to-end tests of commands, output
/// and exit codes, and for workers that tests kill.
public final class CtlProcess: @unchecked Sendable {
    public let process = Process()
    private let outputURL: URL

    /// The built `ctl` next to the test bundle (`swift build` builds it first).
    public static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // xctest bundles sit in the products directory; on some layouts one level deeper.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("ctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/ctl")
    }

    /// Starts `ctl` with `arguments`; stdout and stderr go to a temporary file (not a pipe, so
    /// a child can never block on a full pipe nobody reads). A `prefix` runs it through another
    /// program that then execs it, e.g. `["/usr/sbin/ip", "netns", "exec", "ns1"]`.
    public init(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = []) throws {
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("ctl-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outputURL)
        if let launcher = prefix.first {
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = Array(prefix.dropFirst()) + [Self.binary.path] + arguments
        } else {
            process.executableURL = Self.binary
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SLIPLINE_DATABASE_URL")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try handle.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputURL)
    }

    public var pid: Int32 { process.processIdentifier }

    /// Everything the process printed so far.
    public var output: String {
        (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    }

    public func signal(_ sig: Int32) {
        kill(process.processIdentifier, sig)
    }

    /// Waits up to `timeout` seconds for the process to exit; returns its status or nil.
    @discardableResult
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Runs `ctl` to completion (killing it after `timeout`) and returns status and output.
    public static func run(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = [], timeout: Double = 120) throws -> (status: Int32, output: String) {
        let p = try CtlProcess(arguments, environment: environment, prefix: prefix)
        guard let status = p.wait(timeout: timeout) else {
            p.signal(SIGKILL)
            return (-1, p.output + "\n[killed after \(timeout) s]")
        }
        return (status, p.output)
    }
}

/// Polls `condition` until it holds or `timeout` passes.
/// The job id from the last line `ctl run`/`submit` prints (`job N STATE`), or nil.
public func jobId(fromRunOutput output: String) -> Int64? {
    let parts = (output.split(separator: "\n").last ?? "").split(separator: " ")
    return parts.count >= 2 && parts[0] == "job" ? Int64(parts[1]) : nil
}

public func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// The figures `ctl eval` printed, one `name value` per line (`precision 0.9941`), by name.
public func evalFigures(_ output: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let v = Double(parts[1]) { out[String(parts[0])] = v }
    }
    return out
}
