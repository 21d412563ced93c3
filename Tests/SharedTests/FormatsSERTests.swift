import XCTest

@testable import Shared

/// TIA series written here (versions 0x210 and 0x220, every real type) read back exactly with
/// their calibration; spectra, complex data and damaged files are clear errors.
final class FormatsSERTests: XCTestCase {
    func testSeriesRoundTripWithCalibration() throws {
        let dir = try FormatsTempDirectory()
        var seed: UInt64 = 300
        for version in [0x210, 0x220] {
            for type in [SampleType.uint8, .int8, .uint16, .int16, .uint32, .int32, .float32, .float64] {
                seed += 1
                var writer = SERWriter(version: version)
                writer.sampleType = type
                writer.pixelSizeNm = 0.21
                writer.frameIntervalS = 0.025
                let (w, h, n) = (23, 9, 3)
                let frames = FrameFixtures.frames(n, width: w, height: h, type: type, seed: seed)
                let path = dir.file("s\(seed)_1.ser")
                try writer.write(path: path, width: w, height: h, frames: frames)
                let stack = try FrameStackFormat.open(path: path)
                XCTAssertTrue(stack is SERStack)
                XCTAssertEqual([stack.width, stack.height, stack.frameCount], [w, h, n])
                XCTAssertEqual(stack.metadata.pixelSizeNm ?? 0, 0.21, accuracy: 1e-9)
                XCTAssertEqual(stack.metadata.frameIntervalS ?? 0, 0.025, accuracy: 1e-12)
                let read = try FrameFixtures.readAll(stack)
                for f in 0..<n { XCTAssertEqual(read[f], FrameFixtures.expected(frames[f], type), "0x\(String(version, radix: 16)) \(type) frame \(f)") }
            }
        }
    }

    func testDamagedSeriesAreClearErrors() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("cut_1.ser")
        try SERWriter().write(path: path, width: 16, height: 16, frames: FrameFixtures.frames(4, width: 16, height: 16, type: .uint16, seed: 1))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [3, 20, 40, bytes.count / 2] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try FrameFixtures.readAll(try SERStack(path: path)), "cut at \(cut)") {
                XCTAssertTrue("\($0)".hasPrefix("cannot read cut_1.ser: "), "\($0)")
            }
        }
        var spectra = bytes
        spectra[6] = 0x20  // DataTypeID 0x4120: 1D spectra
        try spectra.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SERStack(path: path)) { XCTAssertTrue("\($0)".contains("spectra"), "\($0)") }
    }
}
