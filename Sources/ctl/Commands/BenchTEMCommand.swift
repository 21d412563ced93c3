import ArgumentParser
import Foundation
import Kernels
import Shared

extension BenchCommand {
    /// `ctl bench tem`: the per-frame kernel's speed on 512×512 8-bit frames (also from PNG
    /// files, decode included) and detection/tracking quality on easy/medium/hard videos.
    struct TEMBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tem",
            abstract: "TEM kernel speed (512×512 u8 frames, one thread; with and without PNG decode) and quality on easy/medium/hard synthetic videos.")

        @Option(name: .long, help: "Frames timed for speed.")
        var frames: Int = 400

        @Option(name: .long, help: "Frames per synthetic video for quality.")
        var qualityFrames: Int = 60

        @Option(name: .long, parsing: .upToNextOption, help: "Seeds of the quality videos.")
        var seeds: [UInt64] = [1, 2, 3]

        @Flag(name: .long, help: "Speed only.")
        var noQuality = false

        func validate() throws {
            guard (1...1_000_000).contains(frames) else { throw ValidationError("--frames must be 1…1000000") }
            guard (2...100_000).contains(qualityFrames) else { throw ValidationError("--quality-frames must be 2…100000") }
            guard !seeds.isEmpty else { throw ValidationError("--seeds needs at least one seed") }
        }

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
            #endif
            let s = TEMBenchmark.speed(frames: frames)
            print(String(format: "tem kernel (decoded u8 → detect, trace, fit): %d frames %d×%d in %.3f s = %.1f frames/s wall, %.1f frames/CPU-s (1 thread), %.1f curves/frame; separable vs direct filter max rel. error %.2g",
                         s.frames, s.width, s.height, s.seconds, s.framesPerSecond, s.framesPerCPUSecond, s.curvesPerFrame, s.filterRelativeError))
            let p = try pngSpeed(frames: frames)
            print(String(format: "tem kernel with PNG decode (libpng → detect, trace, fit): %d frames %d×%d in %.3f s = %.1f frames/s wall, %.1f frames/CPU-s (1 thread); decode alone %.2f ms/frame",
                         p.frames, p.width, p.height, p.seconds, Double(p.frames) / p.seconds, Double(p.frames) / p.cpu, 1000 * p.decode / Double(p.frames)))
            guard !noQuality else { return }
            let full = TEMBenchmark.run(speedFrames: 1, qualityFrames: qualityFrames, seeds: seeds)
            // The first line of the kernel's report is its own (1-frame) speed figure: skip it.
            print(full.split(separator: "\n").dropFirst().joined(separator: "\n"))
        }

        /// PNG files of 8 hard-preset frames, each decoded with libpng and analysed, cycling.
        func pngSpeed(frames: Int) throws -> (frames: Int, width: Int, height: Int, seconds: Double, cpu: Double, decode: Double) {
            let params = TEMSynthParams.preset(.hard, seed: 1, frames: 8)
            let synth = TEMSynthesizer(params: params)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-bench-tem-\(getpid())").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let files = try (0..<8).map { f -> String in
                let path = "\(dir)/f\(f).png"
                try PNGWriter.writeGray8(path: path, width: params.width, height: params.height, pixels: synth.frame8(f))
                return path
            }
            var detector = TEMDetector()
            _ = detector.detect(try PNGImage.read(path: files[0]).pixels, width: params.width, height: params.height)
            var decode = 0.0
            let cpu0 = cpuSeconds(), t0 = Date()
            for i in 0..<frames {
                let d0 = Date()
                let image = try PNGImage.read(path: files[i % files.count])
                decode += Date().timeIntervalSince(d0)
                _ = image.pixels.withUnsafeBufferPointer { detector.detect($0, width: image.width, height: image.height) }
            }
            return (frames, params.width, params.height, Date().timeIntervalSince(t0), cpuSeconds() - cpu0, decode)
        }

        func cpuSeconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        }
    }
}
