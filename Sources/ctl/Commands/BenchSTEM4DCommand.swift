import ArgumentParser
import Foundation
import Kernels
import Shared
import Worker

extension BenchCommand {
    /// `ctl bench stem4d`: virtual detectors (1, 2, 4, 8 circles; sparse and OpenBLAS dense)
    /// on a cube in memory, against this machine's single-core read bandwidth measured in the
    /// same run, with a check against the naive reference.
    struct STEM4DBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stem4d",
            abstract: "Virtual-detector speed on an in-memory uint16 cube vs. the measured memory read bandwidth (1 core).")

        @Option(name: .long, help: "Scan side (positions per row and column).")
        var scan: Int = 256

        @Option(name: .long, help: "Detector side (pixels).")
        var detector: Int = 64

        @Option(name: .long, help: "Timed repetitions (best is kept).")
        var repeats: Int = 3

        @Option(name: .long, help: "Size of the bandwidth buffer, MiB.")
        var bandwidthMib: Int = 1024

        @Flag(name: .long, help: "Sparse kernel only (skip the OpenBLAS dense kernel).")
        var noDense = false

        func validate() throws {
            guard (8...2048).contains(scan) else { throw ValidationError("--scan must be 8…2048") }
            guard (8...1024).contains(detector) else { throw ValidationError("--detector must be 8…1024") }
            guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100") }
            guard (16...16384).contains(bandwidthMib) else { throw ValidationError("--bandwidth-mib must be 16…16384") }
        }

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
            #endif
            print("bench stem4d: \(scan)×\(scan) scan × \(detector)×\(detector) detector, uint16, \(repeats) repeat(s), one thread")
            let report = STEM4DBenchmark.run(scanRows: scan, scanCols: scan, detRows: detector, detCols: detector,
                                             bandwidthBytes: bandwidthMib << 20, repeats: repeats,
                                             gemm: noDense ? nil : STEM4DBLAS.gemm, log: { print($0) })
            print(String(format: "worst case up to 8 detectors (best kernel per count): %.1f %% of the read bandwidth", 100 * bestPerCount(report)))
            if report.rows.contains(where: { !$0.matchesReference }) {
                print("ERROR: a kernel differs from the naive reference")
                throw ExitCode(1)
            }
        }

        /// The lowest, over detector counts, of the best kernel's fraction of bandwidth.
        func bestPerCount(_ report: STEM4DBenchmark.Report) -> Double {
            let counts = Set(report.rows.map(\.detectors))
            return counts.map { k in report.rows.filter { $0.detectors == k }.map(\.fractionOfBandwidth).max() ?? 0 }.min() ?? 0
        }
    }
}
