import XCTest

@testable import Shared

/// Dectris-like master + data files written by h5py with hdf5plugin's bitshuffle/LZ4 filter
/// (ops/interop/dectris.py), read through ``STEM4DSource`` (raw chunks decoded here) and
/// compared with the frames numpy saved beside them.
final class FormatsDectrisInteropTests: XCTestCase {
    private static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ops/interop/dectris.py").path
    }

    /// Writes an acquisition and returns the master's path and the expected frames' path.
    private func write(_ dir: FormatsTempDirectory, counts: [Int], det: (Int, Int), dtype: String, chunk: Int, block: Int, seed: Int) throws -> (String, String) {
        let out = dir.file("scan\(seed)")
        try FormatsPython.run("""
            import sys, runpy
            sys.argv = ['dectris.py', '\(out)', '\(counts.map(String.init).joined(separator: ","))', '\(det.0)', '\(det.1)', '\(dtype)', '\(chunk)', '\(block)', '\(seed)']
            runpy.run_path('\(Self.script)', run_name='__main__')
            """, requiring: ["numpy", "h5py", "hdf5plugin"])
        return (out + "_master.h5", out + "_expected.npy")
    }

    private func compare(_ source: STEM4DSource, expected path: String, blocks: [Range<Int>], file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try NPYFile.open(path: path)
        for frames in blocks {
            let bytes = frames.count * source.frameBytes
            let want = UnsafeRawBufferPointer(rebasing: expected.dataBytes[(frames.lowerBound * source.frameBytes)..<(frames.lowerBound * source.frameBytes + bytes)])
            let same = try source.withFrames(frames) { $0.elementsEqual(want) }
            XCTAssertTrue(same, "frames \(frames) differ from what h5py wrote", file: file, line: line)
        }
    }

    func testReadsBitshuffleLZ4MasterAndDataFilesAcrossFilesAndChunks() throws {
        let dir = try FormatsTempDirectory()
        // 3 data files of 7, 5, 4 frames = a 4×4 scan; 3-frame chunks (partial at each file's
        // end); 37×29 pixels (1073: blocks of 128 elements, a short last block, 1 verbatim).
        let (master, expected) = try write(dir, counts: [7, 5, 4], det: (37, 29), dtype: "uint16", chunk: 3, block: 128, seed: 1)
        let source = try STEM4DSource.open(path: master)
        XCTAssertEqual(source.format, "dectris")
        XCTAssertEqual(source.shape, [4, 4, 37, 29])
        XCTAssertEqual(source.element, .uint16)
        XCTAssertTrue(source.isChunked)
        try compare(source, expected: expected, blocks: [0..<4, 4..<8, 8..<16, 5..<6, 0..<16, 13..<15])
    }

    func testReadsUInt32AndUInt8WithDefaultBlocksAndOneFrameChunks() throws {
        let dir = try FormatsTempDirectory()
        for (seed, dtype) in [(2, "uint32"), (3, "uint8")] {
            let (master, expected) = try write(dir, counts: [6, 6], det: (64, 48), dtype: dtype, chunk: 1, block: 0, seed: seed)
            let source = try STEM4DSource.open(path: master, scan: "4x3")
            XCTAssertEqual(source.shape, [3, 4, 64, 48])
            XCTAssertEqual(source.element, dtype == "uint32" ? .uint32 : .uint8)
            try compare(source, expected: expected, blocks: [0..<4, 4..<12, 1..<3])
        }
    }

    func testMissingDataFileAndCorruptChunksFailWithTheFileNamed() throws {
        let dir = try FormatsTempDirectory()
        let (master, _) = try write(dir, counts: [5, 5], det: (16, 16), dtype: "uint16", chunk: 1, block: 0, seed: 4)
        assertFormatError(.invalidArgument, containing: ["10 Dectris frames", "scan=WxH"]) { try STEM4DSource.open(path: master) }
        // One data file gone: the scan needs frames that are not there.
        try FileManager.default.removeItem(atPath: dir.file("scan4_data_000002.h5"))
        assertFormatError(.truncated, containing: ["scan 3x3 needs 9 frames", "data files hold 5"]) {
            try STEM4DSource.open(path: master, scan: "3x3")
        }
        // A chunk whose LZ4 bytes are garbled: decoding fails with a message, no crash.
        let (master2, _) = try write(dir, counts: [4], det: (16, 16), dtype: "uint16", chunk: 4, block: 64, seed: 5)
        let data = dir.file("scan5_data_000001.h5")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: data))
        let source = try STEM4DSource.open(path: master2)
        let clean = try source.withFrames(0..<4) { Array($0) }
        // The chunk is the largest run of bytes near the end of the small file: garble a span
        // inside it (found by searching the decoded-size header, 4·16·16·2 = 2048, big-endian).
        let header: [UInt8] = [0, 0, 0, 0, 0, 0, 0x08, 0x00, 0, 0, 0, 128]
        guard let at = bytes.indices.first(where: { bytes[$0...].starts(with: header) }) else { return XCTFail("chunk header not found") }
        for i in (at + 20)..<(at + 60) { bytes[i] ^= 0x5A }
        try bytes.writeFixture(toPath: data)
        do {
            let again = try STEM4DSource.open(path: master2)
            let read = try again.withFrames(0..<4) { Array($0) }
            XCTAssertNotEqual(read, clean, "garbled LZ4 data decoded to the original frames")
        } catch let error as FormatError {
            XCTAssertTrue(error.description.contains("scan5_master.h5") && error.description.contains("bitshuffle/LZ4"), "\(error)")
        }
    }
}
