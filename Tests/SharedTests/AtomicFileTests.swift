import Foundation
import XCTest

@testable import Shared

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesAndLeavesNoTemporary() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("sub/result.txt")
        try AtomicFile.write(path, text: "first")
        try AtomicFile.write(path, text: "second")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("sub"))
        XCTAssertEqual(names, ["result.txt"])
    }

    func testFailedBodyRemovesItsTemporary() throws {
        let dir = try FormatsTempDirectory()
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(dir.file("x.bin")) { tmp in
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tmp))
            throw Boom()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("")), [])
    }

    /// Only old temporaries go: a fresh one may belong to a writer that is still running, and
    /// real files and links (which could point outside the directory) are never touched.
    func testStaleTemporariesAreRemovedFreshOnesAndRealFilesKept() throws {
        let dir = try FormatsTempDirectory()
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.file("frames/overlays"), withIntermediateDirectories: true)
        let stale = dir.file("frames/overlays/.frame-3.png.tmp-4242-17")
        let fresh = dir.file("frames/.frame-4.png.tmp-4243-18")
        let real = dir.file("frames/frame-3.png")
        let outside = dir.file("frames/.elsewhere.tmp-1-1")
        for p in [stale, fresh, real] { XCTAssertTrue(fm.createFile(atPath: p, contents: Data([0]))) }
        let target = dir.file("victim.txt")
        XCTAssertTrue(fm.createFile(atPath: target, contents: Data([1])))
        try fm.createSymbolicLink(atPath: outside, withDestinationPath: target)
        let hourAgo = Date().addingTimeInterval(-3600)
        for p in [stale, real, target] { try fm.setAttributes([.modificationDate: hourAgo], ofItemAtPath: p) }

        let removed = AtomicFile.removeStaleTemporaries(under: dir.file("frames"), minimumAge: 600)
        XCTAssertEqual(removed, [stale])
        XCTAssertFalse(fm.fileExists(atPath: stale))
        for p in [fresh, real, outside, target] { XCTAssertTrue(fm.fileExists(atPath: p) || (try? fm.destinationOfSymbolicLink(atPath: p)) != nil, p) }
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(under: dir.file("missing"), minimumAge: 600), [])
    }
}
