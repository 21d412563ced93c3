import Foundation
import XCTest

@testable import Shared

/// Videos written by an independent writer — the ffmpeg binary of imageio-ffmpeg from the test
/// venv (ops/interop/venv.sh) — read through libavformat/libavcodec: lossless codecs (FFV1,
/// raw video) pixel for pixel, lossy ones (H.264, MJPEG) within a PSNR bound; frame count and
/// frame interval from the container; random access equal to sequential reading; variable
/// frame rates and damaged files refused with errors. Sizes, frame counts, rates and content
/// are drawn at random per run (the seed is in every message).
final class FormatsVideoInteropTests: XCTestCase {
    /// The writer's grey input: frames of 8- or 16-bit values, and how they were encoded.
    struct Clip {
        var width: Int
        var height: Int
        var frames: [[Int]]
        var bits: Int
        var rate: (num: Int, den: Int)
        var interval: Double { Double(rate.den) / Double(rate.num) }
        /// What the reader gives for the stored values (`v · (1/255)` or `v · (1/65535)`, as every reader).
        var expected: [[Float]] { frames.map { FrameFixtures.expected($0.map(Double.init), bits == 8 ? .uint8 : .uint16) } }
    }

    static let rates = [(10, 1), (24, 1), (25, 1), (30000, 1001), (50, 1), (15, 2)]

    /// Smooth structure (random blobs and a gradient) plus noise, moving a little per frame.
    static func clip(bits: Int, seed: UInt64, frames: ClosedRange<Int> = 6...12) -> Clip {
        var g = FrameFixtures.Generator(state: seed)
        let w = 2 * Int.random(in: 16...48, using: &g), h = 2 * Int.random(in: 16...48, using: &g)
        let n = Int.random(in: frames, using: &g)
        let top = Double((1 << bits) - 1)
        let blobs = (0..<Int.random(in: 2...6, using: &g)).map { _ in
            (x: Double.random(in: 0...Double(w), using: &g), y: Double.random(in: 0...Double(h), using: &g),
             r: Double.random(in: 3...12, using: &g), a: Double.random(in: -0.4...0.4, using: &g))
        }
        let (base, slope, noise) = (Double.random(in: 0.2...0.6, using: &g), Double.random(in: -0.2...0.2, using: &g), Double.random(in: 0...0.03, using: &g))
        let content = (0..<n).map { f -> [Int] in
            (0..<(w * h)).map { i in
                let (x, y) = (Double(i % w), Double(i / w))
                var v = base + slope * x / Double(w)
                for b in blobs {
                    let dx = x - b.x - Double(f) * 0.7, dy = y - b.y
                    v += b.a * exp(-(dx * dx + dy * dy) / (2 * b.r * b.r))
                }
                v += noise * Double.random(in: -1...1, using: &g)
                return Int((min(1, max(0, v)) * top).rounded())
            }
        }
        let rate = rates[Int.random(in: 0..<rates.count, using: &g)]
        return Clip(width: w, height: h, frames: content, bits: bits, rate: rate)
    }

    /// imageio-ffmpeg's ffmpeg, from the venv (skipped, or failed under CI=true, without it).
    static func ffmpeg() throws -> String {
        let out = try FormatsPython.run("import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())", requiring: ["imageio_ffmpeg"])
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Encodes `clip` (piped as raw grey, or as RGB with R = G = B when `rgb`) with `codec` arguments.
    @discardableResult
    static func encode(_ clip: Clip, to path: String, codec: [String], rgb: Bool = false, filters: [String] = [], in dir: FormatsTempDirectory) throws -> String {
        let raw = dir.file("input-\(UUID().uuidString).raw")
        var bytes: [UInt8] = []
        for frame in clip.frames {
            for v in frame {
                if rgb { bytes += [UInt8(v), UInt8(v), UInt8(v)] } else if clip.bits == 8 { bytes.append(UInt8(v)) } else { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
            }
        }
        try Data(bytes).writeFixture(toPath: raw)
        let pixfmt = rgb ? "rgb24" : (clip.bits == 8 ? "gray" : "gray16le")
        let args = ["-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", pixfmt, "-s", "\(clip.width)x\(clip.height)",
                    "-framerate", "\(clip.rate.num)/\(clip.rate.den)", "-i", raw] + filters + codec + [path]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ffmpeg())
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("ffmpeg \(args.joined(separator: " ")) failed:\n\(output)")
            throw FormatsPython.FormatsPythonFailure()
        }
        return path
    }

    static func psnr(_ read: [[Float]], _ expected: [[Float]]) -> Double {
        var sum = 0.0, count = 0
        for (a, b) in zip(read, expected) {
            for (x, y) in zip(a, b) { sum += Double(x - y) * Double(x - y) }
            count += b.count
        }
        return sum == 0 ? .infinity : 10 * log10(Double(count) / sum)
    }

    func checkHeader(_ stack: any FrameStack, _ clip: Clip, _ label: String) {
        XCTAssertEqual([stack.frameCount, stack.width, stack.height], [clip.frames.count, clip.width, clip.height], label)
        XCTAssertEqual(stack.metadata.frameIntervalS ?? -1, clip.interval, accuracy: 1e-6 * clip.interval, "\(label) frame interval")
    }

    func testLosslessFFV1AndRawVideoInMKVReadPixelForPixel() throws {
        let dir = try FormatsTempDirectory()
        let seed = UInt64.random(in: 0...UInt64.max)
        for (i, (bits, codec)) in [(16, ["-c:v", "ffv1"]), (8, ["-c:v", "ffv1"]), (8, ["-c:v", "rawvideo"])].enumerated() {
            let clip = Self.clip(bits: bits, seed: seed &+ UInt64(i))
            let path = try Self.encode(clip, to: dir.file("lossless\(i).mkv"), codec: codec, in: dir)
            let label = "\(codec[1]) \(bits)-bit \(clip.width)×\(clip.height)×\(clip.frames.count) (seed \(seed))"
            let stack = try FrameStackFormat.open(path: path)
            XCTAssertTrue(stack is VideoStack, label)
            checkHeader(stack, clip, label)
            let read = try FrameFixtures.readAll(stack)
            XCTAssertEqual(read, clip.expected, label)
        }
    }

    func testH264InMP4AndMJPEGInAVIWithinPSNRBound() throws {
        let dir = try FormatsTempDirectory()
        let seed = UInt64.random(in: 0...UInt64.max)
        let codecs: [(String, [String], Double)] = [
            // Small GOP with B-frames: key-frame seeking and reordering are exercised.
            ("h264.mp4", ["-c:v", "libx264", "-crf", "10", "-g", "4", "-bf", "2", "-pix_fmt", "yuv420p"], 38),
            ("mjpeg.avi", ["-c:v", "mjpeg", "-q:v", "2", "-pix_fmt", "yuvj420p"], 34),
        ]
        for (i, (name, codec, bound)) in codecs.enumerated() {
            let clip = Self.clip(bits: 8, seed: seed &+ UInt64(i))
            let path = try Self.encode(clip, to: dir.file(name), codec: codec, in: dir)
            let label = "\(name) \(clip.width)×\(clip.height)×\(clip.frames.count) (seed \(seed))"
            let stack = try FrameStackFormat.open(path: path)
            checkHeader(stack, clip, label)
            let read = try FrameFixtures.readAll(stack)
            let quality = Self.psnr(read, clip.expected)
            XCTAssertGreaterThanOrEqual(quality, bound, "\(label): PSNR \(quality) dB")
            print(String(format: "video PSNR %@: %.2f dB", label, quality))
            // Random access (seeks to key frames, decodes forward) gives the frames sequential reading gave.
            var g = FrameFixtures.Generator(state: seed)
            var pixels: [Float] = []
            for index in (0..<clip.frames.count).shuffled(using: &g) + [clip.frames.count - 1, 0] {
                try stack.readFrame(index, into: &pixels)
                XCTAssertEqual(pixels, read[index], "\(label): frame \(index) read out of order")
            }
        }
    }

    func testRGBVideoIsConvertedToGreyBySwscale() throws {
        let dir = try FormatsTempDirectory()
        let seed = UInt64.random(in: 0...UInt64.max)
        let clip = Self.clip(bits: 8, seed: seed)
        // Lossless RGB (FFV1 BGR0): R = G = B = v must come back as v through swscale's RGB → grey
        // (within its fixed-point rounding).
        let path = try Self.encode(clip, to: dir.file("rgb.mkv"), codec: ["-c:v", "ffv1", "-pix_fmt", "bgr0"], rgb: true, in: dir)
        let stack = try VideoStack(path: path)
        checkHeader(stack, clip, "rgb (seed \(seed))")
        let read = try FrameFixtures.readAll(stack)
        let errors = zip(read.joined(), clip.expected.joined()).map { abs($0 - $1) }
        let (worst, mean) = (errors.max() ?? 1, errors.reduce(0, +) / Float(max(1, errors.count)))
        XCTAssertLessThanOrEqual(worst, 3 / 255, "RGB R=G=B to grey, worst error (seed \(seed))")
        XCTAssertLessThanOrEqual(mean, 1 / 255, "RGB R=G=B to grey, mean error (seed \(seed))")
    }

    func testVariableFrameRateIsRefusedNamingTheFrame() throws {
        let dir = try FormatsTempDirectory()
        let seed = UInt64.random(in: 0...UInt64.max)
        var clip = Self.clip(bits: 8, seed: seed, frames: 8...12)
        clip.rate = (10, 1)
        // Frames from the fifth on shift by 0.45 s: off the constant-rate grid.
        let path = try Self.encode(clip, to: dir.file("vfr.mkv"), codec: ["-c:v", "ffv1", "-fps_mode", "passthrough"],
                                   filters: ["-vf", "setpts='PTS+if(gte(N,4),0.45/TB,0)'"], in: dir)
        assertFormatError(.unsupported, containing: ["vfr.mkv", "variable frame rate", "frame 4", "ffmpeg"]) {
            let stack = try VideoStack(path: path)
            _ = try FrameFixtures.readAll(stack)
        }
    }

    func testTruncatedAndDamagedVideosAreErrorsNamingTheFile() throws {
        let dir = try FormatsTempDirectory()
        let seed = UInt64.random(in: 0...UInt64.max)
        let clip = Self.clip(bits: 8, seed: seed, frames: 10...12)
        for (name, codec) in [("cut.mkv", ["-c:v", "ffv1"]), ("cut.mp4", ["-c:v", "libx264", "-g", "3"]), ("cut.avi", ["-c:v", "mjpeg"])] {
            let path = try Self.encode(clip, to: dir.file(name), codec: codec, in: dir)
            let whole = try Data(contentsOf: URL(fileURLWithPath: path))
            try whole.prefix(whole.count * 6 / 10).writeFixture(toPath: path)
            do {
                let stack = try FrameStackFormat.open(path: path)
                _ = try FrameFixtures.readAll(stack)
                XCTAssertLessThan(stack.frameCount, clip.frames.count, "\(name) (seed \(seed)) cut at 60% read whole")
            } catch let error as FormatError {
                XCTAssertTrue(error.description.contains(name), "\(error)")
                XCTAssertTrue([.truncated, .corrupt].contains(error.kind), "\(name): \(error)")
            }
        }
        // A flat clip's MP4 is mostly index: cut at 60 % it ends inside the `moov` box, and opens
        // with one stream of no codec — truncated, not "no video stream".
        let flat = Clip(width: 64, height: 48, frames: Array(repeating: Array(repeating: 100, count: 64 * 48), count: 10), bits: 8, rate: (10, 1))
        let flatPath = try Self.encode(flat, to: dir.file("flat.mp4"), codec: ["-c:v", "libx264", "-g", "3"], in: dir)
        let flatWhole = try Data(contentsOf: URL(fileURLWithPath: flatPath))
        try flatWhole.prefix(flatWhole.count * 6 / 10).writeFixture(toPath: flatPath)
        assertFormatError(.truncated, containing: ["flat.mp4", "copy it again"]) {
            _ = try FrameFixtures.readAll(try FrameStackFormat.open(path: flatPath))
        }
        var g = FrameFixtures.Generator(state: seed)
        let junk = Data("RIFF".utf8) + Data((0..<4000).map { _ in UInt8.random(in: 0...255, using: &g) })
        try junk.writeFixture(toPath: dir.file("junk.avi"))
        assertFormatError(.corrupt, containing: ["junk.avi"]) { _ = try FrameStackFormat.open(path: dir.file("junk.avi")) }
    }
}
