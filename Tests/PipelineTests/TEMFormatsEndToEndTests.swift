import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl` on an instrument file: a DM4 stack (written here from `ctl synth` frames) is
/// recognised as tem from its content, the run says what it found and which calibration it
/// took, frames are `FILE#N`, and lengths come in nm from the file's pixel size.
final class TEMFormatsEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 240) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-temfmt-home-\(getpid())").path], timeout: timeout)
    }

    func testADM4StackRunsWithoutKindOrCalibration() throws {
        let url = try TestCluster.freshDatabase("temdm4")
        let frames = try TestFiles.temporaryDirectory("frames")
        let out = try TestFiles.temporaryDirectory("results")
        let synth = try ctl(["synth", "tem", frames, "--frames", "6", "--seed", "8", "--difficulty", "easy"])
        XCTAssertEqual(synth.status, 0, synth.output)
        let pngs = try FileManager.default.contentsOfDirectory(atPath: frames).filter { $0.hasSuffix(".png") }.naturallySorted()
        let images = try pngs.map { try PNGImage.read(path: frames + "/" + $0) }
        let stack = try TestFiles.temporaryDirectory("stack") + "/insitu.dm4"
        var writer = DMWriter(version: 4)
        writer.sampleType = .uint8
        writer.pixelSizeNm = 0.4
        writer.frameIntervalS = 0.05
        try writer.write(path: stack, width: images[0].width, height: images[0].height,
                         frames: images.map { $0.pixels.map { (Double($0) * 255).rounded() } })

        let run = try ctl(["run", stack, "--database", url, "--workers", "2", "--param", "output_dir=\(out)", "--param", "frames_per_task=2"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.hasSuffix(" done\n"), run.output)
        XCTAssertTrue(run.output.contains("found insitu.dm4: DM4, uint8, 6 frame(s)"), run.output)
        XCTAssertTrue(run.output.contains("pixel_size_nm=0.4"), run.output)
        let job = try XCTUnwrap(jobId(fromRunOutput: run.output), run.output)

        let conn = try PGConnection(url)
        let files = try conn.exec("SELECT array_agg(frame_file ORDER BY frame_index) FROM tem_frames WHERE job_id = $1", [job])
        XCTAssertEqual(files.string(0, 0), "{" + (0..<6).map { "\(stack)#\($0)" }.joined(separator: ",") + "}")
        let lengths = try conn.exec("SELECT count(*), bool_and(abs(length_nm - 0.4 * length_px) < 1e-6) FROM tem_dislocations WHERE job_id = $1", [job])
        XCTAssertGreaterThan(lengths.int(0, 0) ?? 0, 0)
        XCTAssertEqual(lengths.bool(0, 1), true)
    }
}
