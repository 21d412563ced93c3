import XCTest

@testable import Shared

/// A video read from memory (``VideoStack/init(bytes:name:probeBytes:)``, a custom
/// `AVIOContext`: what the fuzz target uses) reads the frames the file reader reads; a Matroska
/// file (no frame count stored: counted with the one open decoder, then read from frame 0 after
/// a seek back) reads every frame in order and in random order; damaged bytes are errors naming
/// the input. Videos written by libavcodec (`VideoWriter`): FFV1 in MKV (lossless), H.264 (or
/// MPEG-4) in MP4, random grey frames of random odd sizes.
final class FormatsVideoMemoryTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "slipline-video-memory-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    /// Random blobs on a gradient plus noise: what H.264 and FFV1 see in a TEM clip, small.
    private func frames(width: Int, height: Int, count: Int, _ g: inout SystemRandomNumberGenerator) -> [[UInt8]] {
        let cx = Double.random(in: 0..<Double(width), using: &g), cy = Double.random(in: 0..<Double(height), using: &g)
        return (0..<count).map { f in
            (0..<(width * height)).map { i in
                let (x, y) = (Double(i % width), Double(i / width))
                let blob = 90 * exp(-(pow(x - cx - Double(f), 2) + pow(y - cy, 2)) / 40)
                return UInt8(min(255, max(0, 60 + x + blob + Double.random(in: -4...4, using: &g))))
            }
        }
    }

    private func readAll(_ stack: VideoStack) throws -> [[Float]] {
        var pixels: [Float] = []
        return try (0..<stack.frameCount).map { f in try stack.readFrame(f, into: &pixels); return pixels }
    }

    func testMemoryInputReadsTheFramesTheFileReaderReads() throws {
        var g = SystemRandomNumberGenerator()
        let lossy = ["libx264", "mpeg4"].first(where: VideoWriter.hasEncoder)
        for (codec, name) in [("ffv1", "clip.mkv")] + (lossy.map { [($0, "clip.mp4")] } ?? []) {
            let (width, height, count) = (2 * Int.random(in: 8...24, using: &g), 2 * Int.random(in: 8...24, using: &g), Int.random(in: 5...12, using: &g))
            let path = directory + "/" + name
            var writer = VideoWriter(codec: codec)
            writer.options = codec == "libx264" ? ["crf": "10", "g": "4"] : [:]
            let written = frames(width: width, height: height, count: count, &g)
            try writer.write(path: path, width: width, height: height, frames: written)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let fromFile = try VideoStack(path: path)
            let fromMemory = try bytes.withUnsafeBytes { try VideoStack(bytes: $0, name: name, probeBytes: 8192) }
            let label = "\(codec) \(width)×\(height)×\(count)"
            XCTAssertEqual(fromMemory.frameCount, count, label)
            XCTAssertEqual(fromFile.frameCount, count, label)
            XCTAssertEqual(fromMemory.metadata.frameIntervalS ?? 0, 0.04, accuracy: 1e-9, label)
            let a = try readAll(fromFile), b = try readAll(fromMemory)
            XCTAssertTrue(a == b, "\(label): the in-memory reader's frames differ from the file reader's")
            if codec == "ffv1" {
                // Lossless: the grey values that went in (full-range grey, v/255).
                XCTAssertTrue(fromMemory.formatDescription.contains("(counted)"), fromMemory.formatDescription)
                let error = zip(b.joined(), written.joined()).map { abs($0 - Float($1) / 255) }.max() ?? 1
                XCTAssertLessThan(error, 1e-6, "\(label): lossless frames differ from what was written by \(error)")
            }
            // Random order (seeks, including back to frame 0) gives the same frames.
            var pixels: [Float] = []
            for f in (0..<count).shuffled(using: &g) + [0] {
                try fromMemory.readFrame(f, into: &pixels)
                XCTAssertTrue(pixels == b[f], "\(label): frame \(f) read out of order differs")
            }
        }
    }

    func testDamagedMemoryInputIsAnErrorNamingIt() throws {
        let path = directory + "/clip.mkv"
        var g = SystemRandomNumberGenerator()
        try VideoWriter(codec: "ffv1").write(path: path, width: 16, height: 16, frames: frames(width: 16, height: 16, count: 6, &g))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Cut inside the header, garbage, nothing (a Matroska file cut later still opens: its frames
        // are counted, so it reads as a shorter video).
        for damaged in [Array(bytes.prefix(40)), [UInt8](repeating: 0x1A, count: 300), []] {
            XCTAssertThrowsError(try damaged.withUnsafeBytes { b -> Int in
                let stack = try VideoStack(bytes: b, name: "damaged.mkv")
                var pixels: [Float] = []
                for f in 0..<stack.frameCount { try stack.readFrame(f, into: &pixels) }
                return stack.frameCount
            }, "\(damaged.count) bytes") { error in
                XCTAssertTrue("\(error)".contains("damaged.mkv"), "\(error)")
            }
        }
    }
}
