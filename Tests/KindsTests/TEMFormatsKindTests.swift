import Foundation
import Kernels
@testable import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// The tem kind over instrument files: the same synthetic video as PNG frames, as one TIFF
/// stack and as an MRC stack gives the same curves; a stack's frames are `FILE#N`; the file's
/// pixel size becomes the job's default; kind detection reads the content.
final class TEMFormatsKindTests: XCTestCase {
    struct Video {
        var dir: String
        var width: Int
        var height: Int
        var frames: [[UInt8]]
    }

    func video(frames: Int, seed: UInt64) throws -> Video {
        let dir = try TestFiles.temporaryDirectory("temformats")
        let params = TEMSynthParams.preset(.easy, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let pixels = (0..<frames).map { synth.frame8($0) }
        try FileManager.default.createDirectory(atPath: dir + "/png", withIntermediateDirectories: true)
        for (f, frame) in pixels.enumerated() {
            try PNGWriter.writeGray8(path: "\(dir)/png/f\(f).png", width: params.width, height: params.height, pixels: frame)
        }
        return Video(dir: dir, width: params.width, height: params.height, frames: pixels)
    }

    func curves(_ run: (shards: [ShardInput<TEMTaskPayload, TEMShardOutput>], shardRows: [[ResultRows]], errors: [Error], mergeRows: [ResultRows])) -> [[String]] {
        let rows = run.shardRows.flatMap { $0 }.rows(of: "tem_dislocation_results")
        return rows.map { ["\($0["frame_index"] as? Int ?? -1)", "\(($0["points"] as? PGJSON)?.pgText ?? "")"] }
    }

    func testATIFFStackGivesThePNGVideosCurvesWithFramesHashN() throws {
        let v = try video(frames: 5, seed: 21)
        let tiff = v.dir + "/movie.tif"
        var writer = TIFFWriter()
        writer.sampleType = .uint8
        writer.compression = .lzw
        try writer.write(path: tiff, width: v.width, height: v.height, frames: v.frames.map { $0.map(Double.init) })
        let fromPNG = try KindHarness(TEMKind(), input: v.dir + "/png", params: ["frames_per_task": "2", "overlay_frames": "0"]).run()
        let fromTIFF = try KindHarness(TEMKind(), input: tiff, params: ["frames_per_task": "2", "overlay_frames": "0"]).run()
        XCTAssertTrue(fromTIFF.errors.isEmpty, "\(fromTIFF.errors)")
        let frames = fromTIFF.shardRows.flatMap { $0 }.rows(of: "tem_frame_results")
        XCTAssertEqual(frames.compactMap { $0["frame_file"] as? String }, (0..<5).map { "\(tiff)#\($0)" })
        XCTAssertFalse(curves(fromPNG).isEmpty)
        XCTAssertEqual(curves(fromTIFF), curves(fromPNG), "8-bit TIFF and PNG decode to the same values")
        XCTAssertEqual(fromTIFF.mergeRows.rows(of: "tem_report_results")[0]["n_frames"] as? Int, 5)
    }

    func testAnMRCStacksPixelSizeBecomesTheDefaultAndParamsWin() throws {
        let v = try video(frames: 2, seed: 22)
        let mrc = v.dir + "/movie.mrcs"
        var writer = MRCWriter(mode: 2)
        writer.pixelSizeNm = 0.5
        try writer.write(path: mrc, width: v.width, height: v.height, frames: v.frames.map { $0.map { Double($0) / 255 } })
        let harness = try KindHarness(TEMKind(), input: mrc, params: ["overlay_frames": "1"])
        let planned = try harness.plan()
        XCTAssertEqual(planned.shards.first?.metadata?.pixelSizeNm ?? 0, 0.5, accuracy: 1e-6)
        XCTAssertTrue(planned.notes.contains { $0.contains("pixel_size_nm=0.5") }, "\(planned.notes)")
        XCTAssertTrue(planned.notes.contains { $0.contains("MRC mode 2") }, "\(planned.notes)")
        let run = try harness.run()
        let rows = run.shardRows.flatMap { $0 }.rows(of: "tem_dislocation_results")
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            let px = row["length_px"] as! Double, nm = row["length_nm"] as? Double
            XCTAssertEqual(nm ?? -1, px * 0.5, accuracy: 1e-6 * px)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: harness.output.file("tem-overlay-f000000.png")), "overlays are drawn from FILE#N frames")
        let overridden = try KindHarness(TEMKind(), input: mrc, params: ["pixel_size_nm": "2"]).plan()
        XCTAssertNil(overridden.shards.first?.metadata?.pixelSizeNm, "an explicit param wins over the file")
    }

    func testKindDetectionReadsTheContent() throws {
        let v = try video(frames: 1, seed: 23)
        let dm = v.dir + "/image.dm4"
        try DMWriter(version: 4).write(path: dm, width: 8, height: 8, frames: [[Double](repeating: 1, count: 64)])
        XCTAssertEqual(TEMKind().recognise(try InputListing(path: dm)), .certain)
        var cube = DMWriter(version: 4)
        cube.extraDimensions = [2]
        let dm4d = v.dir + "/cube.dm4"
        try cube.write(path: dm4d, width: 4, height: 4, frames: [[Double]](repeating: [Double](repeating: 1, count: 16), count: 6))
        XCTAssertEqual(TEMKind().recognise(try InputListing(path: dm4d)), .no, "a 4D DM file is 4D-STEM")
        XCTAssertEqual(TEMKind().recognise(try InputListing(path: v.dir + "/png")), .certain)
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: v.dir + "/x.bin"))
        XCTAssertEqual(TEMKind().recognise(try InputListing(path: v.dir + "/x.bin")), .no)
    }
}
