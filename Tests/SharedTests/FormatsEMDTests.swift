import XCTest

@testable import Shared

/// Velox EMD image stacks (HDF5 `/Data/Image/<id>/Data` of shape (height, width, frames) with
/// a JSON `Metadata` column per frame), written here through HDF5, read frame by frame with
/// their calibration; HDF5 files without Velox images are not taken for video.
final class FormatsEMDTests: XCTestCase {
    func writeVelox(_ path: String, width: Int, height: Int, frames: [[Double]], chunked: Bool) throws {
        let h5 = try HDF5File.create(path: path)
        // Stored (height, width, frames): frame k is the hyperslab [:, :, k].
        var values = [UInt16](repeating: 0, count: width * height * frames.count)
        for (k, frame) in frames.enumerated() {
            for i in 0..<(width * height) { values[i * frames.count + k] = UInt16(frame[i]) }
        }
        try h5.write(values, shape: [height, width, frames.count], to: "/Data/Image/6b1f/Data",
                     options: chunked ? .gzip(level: 1, chunkShape: [height, width, 1]) : .contiguous)
        let json = #"{"BinaryResult": {"PixelSize": {"width": "2.5e-10", "height": "2.5e-10"}, "PixelUnitX": "m"}, "Scan": {"FrameTime": "0.125"}}"#
        let text = Array(json.utf8) + [0, 0, 0]
        var column = [UInt8](repeating: 0, count: text.count * frames.count)
        for r in text.indices { for k in frames.indices { column[r * frames.count + k] = text[r] } }
        try h5.write(column, shape: [text.count, frames.count], to: "/Data/Image/6b1f/Metadata")
        try h5.write([Float](repeating: 1, count: 8), shape: [8], to: "/Data/Image/thumb/Other")
        try h5.close()
    }

    func testVeloxStacksReadFrameByFrameWithCalibration() throws {
        let dir = try FormatsTempDirectory()
        for chunked in [false, true] {
            let (w, h, n) = (21, 13, 4)
            let frames = FrameFixtures.frames(n, width: w, height: h, type: .uint16, seed: chunked ? 1 : 2)
            let path = dir.file("movie-\(chunked).emd")
            try writeVelox(path, width: w, height: h, frames: frames, chunked: chunked)
            let stack = try FrameStackFormat.open(path: path)
            XCTAssertTrue(stack is EMDStack, stack.formatDescription)
            XCTAssertEqual([stack.width, stack.height, stack.frameCount], [w, h, n])
            XCTAssertEqual(stack.metadata.pixelSizeNm ?? 0, 0.25, accuracy: 1e-12)
            XCTAssertEqual(stack.metadata.frameIntervalS ?? 0, 0.125, accuracy: 1e-12)
            let read = try FrameFixtures.readAll(stack)
            for f in 0..<n { XCTAssertEqual(read[f], FrameFixtures.expected(frames[f], .uint16), "chunked=\(chunked) frame \(f)") }
        }
    }

    func testOtherHDF5FilesAreNotVeloxImages() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("volume.h5")
        let h5 = try HDF5File.create(path: path)
        try h5.write([Float](repeating: 0, count: 27), shape: [3, 3, 3], to: "/entry_1/data_1/data")
        try h5.close()
        XCTAssertFalse(EMDStack.holdsImages(path))
        XCTAssertThrowsError(try EMDStack(path: path)) { error in
            XCTAssertEqual((error as! FormatError).kind, .missing)
            XCTAssertTrue("\(error)".contains("volume.h5") && "\(error)".contains("--kind bcdi"), "\(error)")
        }
    }
}
