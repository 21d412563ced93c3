import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl run` on an H.264 MP4 (`ctl synth` frames binned to 64×64, 10 frames, encoded
/// through libavcodec): recognised as a tem video from its content, frames `video.mp4#N` in
/// order across tasks that each decode their own range, and the frame interval taken from the
/// stream's frame rate.
final class TEMVideoEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 240) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-temvideo-home-\(getpid())").path], timeout: timeout)
    }

    func testAnH264VideoRunsWithItsFrameRate() throws {
        let codec = ["libx264", "mpeg4", "mjpeg"].first(where: VideoWriter.hasEncoder) ?? "ffv1"
        let url = try TestCluster.freshDatabase("temvideo")
        let frames = try TestFiles.temporaryDirectory("frames")
        let out = try TestFiles.temporaryDirectory("results")
        let synth = try ctl(["synth", "tem", frames, "--frames", "10", "--seed", "\(UInt32.random(in: 1...1_000_000))", "--difficulty", "easy"])
        XCTAssertEqual(synth.status, 0, synth.output)
        let pngs = try FileManager.default.contentsOfDirectory(atPath: frames).filter { $0.hasSuffix(".png") }.naturallySorted()
        let binned = try pngs.map { name -> [UInt8] in
            let image = try PNGImage.read(path: frames + "/" + name)
            let f = image.width / 64
            return (0..<(64 * 64)).map { i in
                var sum: Float = 0
                for dy in 0..<f { for dx in 0..<f { sum += image.pixels[((i / 64) * f + dy) * image.width + (i % 64) * f + dx] } }
                return UInt8((sum / Float(f * f) * 255).rounded())
            }
        }
        let video = try TestFiles.temporaryDirectory("video") + "/video.mp4"
        var writer = VideoWriter(codec: codec)
        writer.rate = (20, 1)
        if codec == "libx264" { writer.options = ["crf": "8", "g": "4"] }
        try writer.write(path: video, width: 64, height: 64, frames: binned)

        let run = try ctl(["run", video, "--database", url, "--workers", "2", "--param", "output_dir=\(out)", "--param", "frames_per_task=3"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.hasSuffix(" done\n"), run.output)
        XCTAssertTrue(run.output.contains("found video.mp4: video mov"), run.output)
        XCTAssertTrue(run.output.contains("10 frame(s)"), run.output)
        XCTAssertTrue(run.output.contains("frame_interval_s=0.05"), run.output)
        let job = try XCTUnwrap(jobId(fromRunOutput: run.output), run.output)

        let conn = try PGConnection(url)
        let files = try conn.exec("SELECT array_agg(frame_file ORDER BY frame_index) FROM tem_frames WHERE job_id = $1", [job])
        XCTAssertEqual(files.string(0, 0), "{" + (0..<10).map { "\(video)#\($0)" }.joined(separator: ",") + "}")
    }
}
