import XCTest

@testable import Shared

/// The one hot loop of the uncompressed readers against its plain twin, on every sample type,
/// both byte orders and awkward lengths (empty, one, around the 16-lane SIMD width, odd).
final class FormatsSampleWideningTests: XCTestCase {
    func testWideningMatchesTheReferenceOnAwkwardLengths() {
        var g = FrameFixtures.Generator(state: 11)
        for type in SampleType.allCases {
            for bigEndian in [false, true] {
                for count in [0, 1, 7, 15, 16, 17, 31, 33, 1001] {
                    let bytes = (0..<(count * max(1, type.byteCount) + 1)).map { _ in UInt8.random(in: 0...255, using: &g) }
                    let expected = SampleWidening.reference(bytes, type: type, bigEndian: bigEndian, count: count)
                    var got = [Float](repeating: -1, count: count)
                    bytes.withUnsafeBytes { src in
                        got.withUnsafeMutableBufferPointer { SampleWidening.widen(src, type: type, byteSwapped: bigEndian, into: $0) }
                    }
                    for i in 0..<count where !(expected[i].isNaN && got[i].isNaN) {
                        XCTAssertEqual(got[i].bitPattern, expected[i].bitPattern, "\(type) bigEndian=\(bigEndian) count=\(count) at \(i)")
                    }
                }
            }
        }
    }

    func testUnsignedSamplesMapLikePNG() {
        XCTAssertEqual(SampleWidening.reference([255], type: .uint8, bigEndian: false, count: 1), [1])
        XCTAssertEqual(SampleWidening.reference([0xFF, 0xFF], type: .uint16, bigEndian: false, count: 1), [1])
        XCTAssertEqual(SampleWidening.reference([0x00, 0x80], type: .int16, bigEndian: true, count: 1), [128])
    }
}
