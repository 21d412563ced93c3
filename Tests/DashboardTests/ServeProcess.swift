import Foundation
import SliplineTestSupport
import XCTest

/// The real `ctl serve` on a free loopback port against a test database.
final class ServeProcess {
    let process: CtlProcess
    let base: String
    /// Launch to the "serving" line, seconds (printed; the target lives in docs, not in asserts).
    let startupSeconds: Double

    init(database: String, arguments: [String] = []) throws {
        let started = Date()
        let process = try CtlProcess(["serve", "--listen", "127.0.0.1:0", "--database", database] + arguments)
        self.process = process
        var address: String?
        _ = eventually(timeout: 30) {
            let text = process.output
            if let range = text.range(of: #"serving http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                address = String(text[range].dropFirst("serving ".count))
                return true
            }
            return !process.process.isRunning
        }
        guard let address else { throw ServeError("ctl serve did not start:\n\(process.output)") }
        startupSeconds = Date().timeIntervalSince(started)
        base = address
    }

    lazy var client = HTTPTestClient(base: base)

    func stop() -> Int32? {
        process.signal(SIGTERM)
        return process.wait(timeout: 20)
    }

    deinit { if process.process.isRunning { process.signal(SIGKILL) } }
}

struct ServeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Small real jobs for the pages, made and run with the real `ctl`.
enum DashboardJobs {
    /// A finished TEM job on `frames` generated frames; returns its id (1 on a fresh database).
    static func tem(_ database: String, frames: Int = 6) throws -> Int {
        let dir = try TestFiles.temporaryDirectory("dash-tem")
        let synth = try CtlProcess.run(["synth", "tem", dir, "--frames", "\(frames)", "--difficulty", "easy", "--seed", "3"])
        XCTAssertEqual(synth.status, 0, synth.output)
        return try run(database, [dir, "--kind", "tem"])
    }

    /// A finished two-volume BCDI job on a 32³ generated crystal.
    static func bcdi(_ database: String) throws -> Int {
        let dir = try TestFiles.temporaryDirectory("dash-bcdi")
        let synth = try CtlProcess.run(["synth", "bcdi", dir, "--size", "32", "--volumes", "2", "--seed", "1"])
        XCTAssertEqual(synth.status, 0, synth.output)
        return try run(database, [dir, "--kind", "bcdi"])
    }

    /// A finished 4D-STEM particles job on a 64×64 scan.
    static func stem4d(_ database: String) throws -> Int {
        let dir = try TestFiles.temporaryDirectory("dash-stem")
        let synth = try CtlProcess.run(["synth", "stem4d", dir, "--scan", "64", "--mode", "particles", "--seed", "1"])
        XCTAssertEqual(synth.status, 0, synth.output)
        return try run(database, [dir + "/cube.h5", "--kind", "stem4d", "--param", "mode=particles", "--param", "convergence_mrad=100"])
    }

    static func run(_ database: String, _ arguments: [String]) throws -> Int {
        let (status, output) = try CtlProcess.run(["run"] + arguments + ["--workers", "2", "--database", database], timeout: 300)
        XCTAssertEqual(status, 0, output)
        guard let last = output.split(separator: "\n").last, last.hasPrefix("job "), let id = Int(last.split(separator: " ")[1]) else {
            throw ServeError("no job line in:\n\(output)")
        }
        return id
    }
}
