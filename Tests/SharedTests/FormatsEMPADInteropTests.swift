import XCTest

@testable import Shared

/// EMPAD `.raw` + `.xml` written with numpy, read through ``STEM4DSource`` and compared with
/// what rosettasciio's EMPAD reader makes of the same files (an independent reader).
final class FormatsEMPADInteropTests: XCTestCase {
    private func write(_ dir: FormatsTempDirectory, scanX: Int, scanY: Int, extraFrames: Int = 0, pixInXML: Bool = true) throws -> (xml: String, expected: String) {
        let raw = "scan_x\(scanX)_y\(scanY).raw"
        let xml = dir.file("acquisition.xml"), expected = dir.file("expected.npy")
        try FormatsPython.run("""
            import numpy as np
            rng = np.random.default_rng(\(scanX * 100 + scanY))
            n = \(scanX * scanY + extraFrames)
            frames = rng.normal(rng.uniform(0, 50), rng.uniform(1, 20), size=(n, 130, 128)).astype('<f4')
            frames[:, 128:, :] = -1e30          # metadata rows: must not reach the data
            frames.tofile('\(dir.file(raw))')
            pix = '<pix_x>\(scanX)</pix_x><pix_y>\(scanY)</pix_y>' if \(pixInXML ? "True" : "False") else ''
            open('\(xml)', 'w').write('<?xml version="1.0"?><root><raw_file filename="\(raw)"/>' + pix +
                '<timestamp><isoformat>2024-01-01T00:00:00</isoformat></timestamp></root>')
            from rsciio.empad import file_reader
            d = file_reader('\(xml)')[0]['data']
            assert d.shape == (\(scanY), \(scanX), 128, 128), d.shape
            np.save('\(expected)', np.ascontiguousarray(d))
            """, requiring: ["numpy", "rsciio"])
        return (xml, expected)
    }

    func testReadsEMPADLikeRosettasciio() throws {
        let dir = try FormatsTempDirectory()
        let (xml, expected) = try write(dir, scanX: 5, scanY: 3)
        for path in [xml, dir.file("scan_x5_y3.raw")] {
            let source = try STEM4DSource.open(path: path)
            XCTAssertEqual(source.format, "empad")
            XCTAssertEqual(source.shape, [3, 5, 128, 128])
            XCTAssertEqual(source.element, .float32)
            let reference = try NPYFile.open(path: expected)
            for frames in [0..<5, 5..<15, 7..<9] {
                let bytes = frames.count * source.frameBytes
                let want = UnsafeRawBufferPointer(rebasing: reference.dataBytes[(frames.lowerBound * source.frameBytes)..<(frames.lowerBound * source.frameBytes + bytes)])
                XCTAssertTrue(try source.withFrames(frames) { $0.elementsEqual(want) }, "frames \(frames) of \(path)")
            }
        }
    }

    func testScanFromTheFileNameAndClearErrors() throws {
        let dir = try FormatsTempDirectory()
        let (xml, _) = try write(dir, scanX: 4, scanY: 2, pixInXML: false)
        XCTAssertEqual(try STEM4DSource.open(path: xml).shape, [2, 4, 128, 128], "scan_x4_y2.raw names the scan")
        assertFormatError(.truncated, containing: ["scan 4x4 needs 16 frames", "holds 8"]) { try STEM4DSource.open(path: xml, scan: "4x4") }

        let raw = dir.file("scan_x4_y2.raw")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: raw))
        try bytes.prefix(bytes.count - 100).writeFixture(toPath: raw)
        assertFormatError(.truncated, containing: ["scan_x4_y2.raw", "128×130 float32", "7 frames"]) { try STEM4DSource.open(path: xml) }

        let other = dir.file("other.xml")
        try Data("<root><note/></root>".utf8).writeFixture(toPath: other)
        assertFormatError(.corrupt, containing: ["other.xml", "raw_file"]) { try STEM4DSource.open(path: other) }
    }
}
