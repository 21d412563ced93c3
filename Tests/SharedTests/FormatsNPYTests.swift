import Foundation
import XCTest

@testable import Shared

final class FormatsNPYTests: XCTestCase {
    func testRoundTripAllWrittenDTypes() throws {
        let dir = try FormatsTempDirectory()
        let shape = [2, 3, 4]
        let k = (0..<24).map { $0 }

        try NPYWriter.write(k.map { Float($0) - 0.5 }, shape: shape, to: dir.file("f4.npy"))
        try NPYWriter.write(k.map { Double($0) * 1e-3 }, shape: shape, to: dir.file("f8.npy"))
        try NPYWriter.write(k.map { UInt8($0 * 10) }, shape: shape, to: dir.file("u1.npy"))
        try NPYWriter.write(k.map { UInt16($0 * 2000) }, shape: shape, to: dir.file("u2.npy"))
        try NPYWriter.write(k.map { UInt32($0 * 100_000) }, shape: shape, to: dir.file("u4.npy"))
        try NPYWriter.writeComplex64(interleaved: k.flatMap { [Float($0), -Float($0)] }, shape: shape, to: dir.file("c8.npy"))
        try NPYWriter.writeComplex128(interleaved: k.flatMap { [Double($0) / 8, 2] }, shape: shape, to: dir.file("c16.npy"))

        let f4 = try NPYFile.open(path: dir.file("f4.npy"))
        XCTAssertEqual(f4.dtype.descr, "<f4")
        XCTAssertEqual(f4.shape, shape)
        XCTAssertEqual(f4.header.dataOffset % 64, 0, "data is 64-byte aligned for mapping")
        XCTAssertEqual(try f4.readReal().values, k.map { Float($0) - 0.5 })
        try f4.withUnsafeElements(of: Float.self) { XCTAssertEqual(Array($0), k.map { Float($0) - 0.5 }) }

        XCTAssertEqual(try NPYFile.open(path: dir.file("f8.npy")).readReal().values, k.map { Float(Double($0) * 1e-3) })
        XCTAssertEqual(try NPYFile.open(path: dir.file("u1.npy")).dtype.descr, "|u1")
        XCTAssertEqual(try NPYFile.open(path: dir.file("u1.npy")).readReal().values, k.map { Float($0 * 10) })
        XCTAssertEqual(try NPYFile.open(path: dir.file("u2.npy")).readReal().values, k.map { Float($0 * 2000) })
        XCTAssertEqual(try NPYFile.open(path: dir.file("u4.npy")).readReal().values, k.map { Float($0 * 100_000) })

        let c8 = try NPYFile.open(path: dir.file("c8.npy"))
        XCTAssertEqual(c8.dtype, .complex64)
        XCTAssertEqual(try c8.readComplex().interleaved, k.flatMap { [Float($0), -Float($0)] })
        XCTAssertEqual(try NPYFile.open(path: dir.file("c16.npy")).readComplex().interleaved, k.flatMap { [Float($0) / 8, 2] })
    }

    func testLeadingRangeCopies() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("cube.npy")
        try NPYWriter.write((0..<(5 * 3 * 2 * 2)).map { UInt16($0) }, shape: [5, 3, 2, 2], to: path)
        let file = try NPYFile.open(path: path)
        let range = try file.elementRange(leading: 2..<4)
        XCTAssertEqual(range, 24..<48)
        var buffer = [Float](repeating: 0, count: range.count)
        try buffer.withUnsafeMutableBufferPointer { try file.copyReal(elements: range, into: $0) }
        XCTAssertEqual(buffer, (24..<48).map(Float.init))
        assertFormatError(.invalidArgument, containing: ["outside the first axis"]) { try file.elementRange(leading: 4..<6) }
        assertFormatError(.invalidArgument, containing: ["buffer holds 24 floats"]) {
            try buffer.withUnsafeMutableBufferPointer { try file.copyReal(elements: 0..<10, into: $0) }
        }
        assertFormatError(.wrongShape, containing: ["holds <u2, not <f4"]) { try file.withUnsafeElements(of: Float.self) { $0.count } }
        assertFormatError(.wrongShape, containing: ["not complex values"]) { try file.readComplex() }
    }

    func testHeaderParsingVariants() throws {
        func header(_ dict: String, version: UInt8 = 1) -> [UInt8] {
            var text = Array(dict.utf8)
            let prefix = version == 1 ? 10 : 12
            while (prefix + text.count + 1) % 64 != 0 { text.append(0x20) }
            text.append(0x0A)
            var bytes = NPYHeader.magic + [version, 0]
            let lengthBytes = version == 1 ? 2 : 4
            for i in 0..<lengthBytes { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
            return bytes + text
        }
        func parse(_ bytes: [UInt8]) throws -> NPYHeader {
            try bytes.withUnsafeBytes { try NPYHeader.parse($0, path: "h.npy") }
        }
        let v1 = try parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"))
        XCTAssertEqual(v1.shape, [3, 4])
        XCTAssertEqual(v1.dataOffset % 64, 0)
        let v2 = try parse(header("{\"descr\": \">u2\", \"fortran_order\": True, \"shape\": (7,)}", version: 2))
        XCTAssertEqual(v2.dtype, NPYDType(kind: .uint, itemSize: 2, byteOrder: .big))
        XCTAssertTrue(v2.fortranOrder)
        XCTAssertEqual(v2.shape, [7])
        let v3 = try parse(header("{'shape': (), 'fortran_order': False, 'descr': '|u1'}", version: 3))
        XCTAssertEqual(v3.shape, [])
        XCTAssertEqual(v3.count, 1)
        let py2 = try parse(header("{'descr': '<c8', 'fortran_order': False, 'shape': (2L, 3L), }"))
        XCTAssertEqual(py2.shape, [2, 3])

        assertFormatError(.unsupported, containing: ["structured dtype"]) {
            try parse(header("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (3,), }"))
        }
        assertFormatError(.unsupported, containing: ["'<f2'", "float16"]) {
            try parse(header("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }"))
        }
        assertFormatError(.unsupported, containing: ["'<U8'", "astype"]) {
            try parse(header("{'descr': '<U8', 'fortran_order': False, 'shape': (3,), }"))
        }
        assertFormatError(.corrupt, containing: ["not a valid dictionary"]) { try parse(header("{'descr': '<f4', 'shape': (3,")) }
        assertFormatError(.corrupt, containing: ["'shape'"]) { try parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}")) }
        assertFormatError(.tooLarge) { try parse(header("{'descr': '<c16', 'fortran_order': False, 'shape': (4294967296, 4294967296)}")) }
        assertFormatError(.unsupported, containing: ["version 4.0"]) { try parse(header("{}", version: 4)) }
        assertFormatError(.corrupt, containing: ["missing \\x93NUMPY magic"]) { try parse(Array("PK\u{3}\u{4} zip file......".utf8)) }
        assertFormatError(.truncated) { try parse(Array(header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }").prefix(30))) }
    }

    func testFortranOrderAndTruncationAreRefusedWithClearMessages() throws {
        let dir = try FormatsTempDirectory()
        let fortran = dir.file("fortran.npy")
        var bytes = NPYHeader(dtype: .float32, shape: [2, 2], fortranOrder: true).encoded()
        bytes += [UInt8](repeating: 0, count: 16)
        try Data(bytes).writeFixture(toPath: fortran)
        assertFormatError(.unsupported, containing: ["cannot read fortran.npy", "Fortran order", "np.ascontiguousarray"]) {
            try NPYFile.open(path: fortran)
        }

        let short = dir.file("short.npy")
        try NPYWriter.write([Float](repeating: 1, count: 1000), shape: [10, 100], to: short)
        let full = try Data(contentsOf: URL(fileURLWithPath: short))
        try full.prefix(full.count - 7).writeFixture(toPath: short)
        assertFormatError(.truncated, containing: ["short.npy", "shape [10, 100] of <f4 = 4000 bytes", "3993 bytes"]) {
            try NPYFile.open(path: short)
        }
        assertFormatError(.unreadable, containing: ["No such file"]) { try NPYFile.open(path: dir.file("none.npy")) }
        try Data().writeFixture(toPath: dir.file("empty.npy"))
        assertFormatError(.corrupt) { try NPYFile.open(path: dir.file("empty.npy")) }
    }

    func testNumpyInterop() throws {
        let dir = try FormatsTempDirectory()
        let d = dir.path
        try FormatsPython.run("""
            import numpy as np
            k = np.arange(24).reshape(2, 3, 4)
            np.save('\(d)/c8.npy', (k - 1j * k).astype('<c8'))
            np.save('\(d)/c16.npy', (k / 4 + 1j).astype('<c16'))
            np.save('\(d)/bigf4.npy', (k * 1.5).astype('>f4'))
            np.save('\(d)/bigc8.npy', (k + 2j * k).astype('>c8'))
            np.save('\(d)/u2.npy', (k * 1000).astype('<u2'))
            np.save('\(d)/bool.npy', k % 2 == 0)
            np.save('\(d)/fortran.npy', np.asfortranarray(k.astype('<f4')))
            with open('\(d)/v2.npy', 'wb') as f:
                np.lib.format.write_array(f, k.astype('<u4'), version=(2, 0))
            """, requiring: ["numpy"])
        let k = (0..<24).map(Float.init)
        XCTAssertEqual(try NPYFile.open(path: d + "/c8.npy").readComplex().interleaved, k.flatMap { [$0, -$0] })
        XCTAssertEqual(try NPYFile.open(path: d + "/c16.npy").readComplex().interleaved, k.flatMap { [$0 / 4, 1] })
        XCTAssertEqual(try NPYFile.open(path: d + "/bigf4.npy").readReal().values, k.map { $0 * 1.5 })
        XCTAssertEqual(try NPYFile.open(path: d + "/bigc8.npy").readComplex().interleaved, k.flatMap { [$0, 2 * $0] })
        XCTAssertEqual(try NPYFile.open(path: d + "/u2.npy").readReal().values, k.map { $0 * 1000 })
        XCTAssertEqual(try NPYFile.open(path: d + "/bool.npy").readReal().values, (0..<24).map { $0 % 2 == 0 ? 1 : 0 })
        let v2 = try NPYFile.open(path: d + "/v2.npy")
        XCTAssertEqual(v2.header.version.major, 2)
        XCTAssertEqual(try v2.readReal().values, k)
        assertFormatError(.unsupported, containing: ["Fortran order"]) { try NPYFile.open(path: d + "/fortran.npy") }
        assertFormatError(.wrongShape, containing: ["byte order"]) {
            try NPYFile.open(path: d + "/bigf4.npy").withUnsafeElements(of: Float.self) { $0.count }
        }

        // And numpy reads what is written here.
        try NPYWriter.writeComplex64(interleaved: k.flatMap { [$0, 1] }, shape: [4, 6], to: d + "/ours_c8.npy")
        try NPYWriter.write((0..<24).map { UInt16($0 * 3) }, shape: [24], to: d + "/ours_u2.npy")
        try NPYWriter.write([Float](), shape: [0, 5], to: d + "/ours_empty.npy")
        try FormatsPython.run("""
            import numpy as np
            a = np.load('\(d)/ours_c8.npy', mmap_mode='r')
            assert a.dtype == np.complex64 and a.shape == (4, 6), (a.dtype, a.shape)
            assert np.array_equal(a, (np.arange(24) + 1j).astype(np.complex64).reshape(4, 6))
            b = np.load('\(d)/ours_u2.npy')
            assert b.dtype == np.uint16 and b.shape == (24,) and list(b) == [3 * i for i in range(24)]
            e = np.load('\(d)/ours_empty.npy')
            assert e.shape == (0, 5) and e.dtype == np.float32
            """, requiring: ["numpy"])
    }
}
