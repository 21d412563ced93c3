import ArgumentParser
import Foundation
import Shared

extension BenchCommand {
    /// `ctl bench formats`: decoding speed of the instrument formats, one thread.
    struct FormatsBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "formats",
            abstract: "Decoding speed of the instrument formats on one thread (bitshuffle/LZ4: Dectris chunks), checked against the naive reference.")

        @Option(name: .long, help: "Frames (chunks) per measurement.")
        var frames: Int = 64

        @Option(name: .long, help: "Detector side in pixels (Arina: 192, EIGER 4M: 2068).")
        var side: Int = 192

        @Option(name: .long, help: "Timed repetitions (best is kept).")
        var repeats: Int = 5

        func validate() throws {
            guard (1...100_000).contains(frames) else { throw ValidationError("--frames must be 1…100000") }
            guard (8...4096).contains(side) else { throw ValidationError("--side must be 8…4096") }
            guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be 1…100") }
        }

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
            #endif
            var load = [0.0, 0, 0]
            _ = getloadavg(&load, 3)
            print("bench formats: bitshuffle/LZ4, \(frames) chunks of one \(side)×\(side) uint16 frame, 4096-element blocks, one thread, best of \(repeats), bytes per second of thread CPU time; "
                  + String(format: "load average %.2f %.2f %.2f", load[0], load[1], load[2]))
            var mismatch = false, worst = Double.infinity
            // Sparse to dense counting data: the mean count per pixel decides the LZ4 ratio.
            for (index, mean) in [0.02, 0.2, 1.0, 5.0, 50.0].enumerated() {
                let f = BitshuffleLZ4Benchmark.run(frames: frames, side: side, mean: mean, repeats: repeats, seed: UInt64(index + 1))
                print(String(format: "mean %6.2f counts/px  ratio %.3f  chunk %6.2f GB/s  (LZ4 %6.2f GB/s, un-transpose %6.2f GB/s)  %@",
                             mean, f.ratio, f.chunkBytesPerSecond / 1e9, f.lz4BytesPerSecond / 1e9, f.unshuffleBytesPerSecond / 1e9,
                             f.matchesReference ? "matches reference" : "DIFFERS FROM REFERENCE"))
                mismatch = mismatch || !f.matchesReference
                worst = min(worst, f.chunkBytesPerSecond)
            }
            print(String(format: "bitshuffle/LZ4 worst case: %.2f GB/s decoded per core (target ≥ 1 GB/s)", worst / 1e9))
            if mismatch {
                print("ERROR: the decoder differs from the naive reference")
                throw ExitCode(1)
            }
        }
    }
}
