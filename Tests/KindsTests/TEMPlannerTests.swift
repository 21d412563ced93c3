import Coordinator
import Foundation
import Kinds
import Shared
import XCTest

/// The tem planner on awkward directories: natural order, stray files, a frame of another size,
/// an empty or missing directory, a frame whose header is unreadable.
final class TEMPlannerTests: XCTestCase {
    static func directory(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-tem-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func frame(_ path: String, width: Int = 16, height: Int = 12) throws {
        try PNGWriter.writeGray8(path: path, width: width, height: height, pixels: (0..<(width * height)).map { UInt8($0 % 251) })
    }

    func plan(_ input: String, _ params: [String: String] = [:]) throws -> JobPlan {
        try KindHarness(TEMKind(), input: input, params: params, output: "/tmp/out").jobPlan()
    }

    func payloads(_ plan: JobPlan) throws -> [TEMTaskPayload] {
        try plan.shards.map { try JSONDecoder().decode(TEMTaskPayload.self, from: Data($0.payload.utf8)) }
    }

    func testNaturalOrderStrayFilesAndRanges() throws {
        let dir = try Self.directory("order")
        for name in ["f10.png", "f2.png", "f1.png", "f0.PNG", "f11.png"] { try Self.frame("\(dir)/\(name)") }
        try "notes".write(toFile: "\(dir)/notes.txt", atomically: true, encoding: .utf8)
        try "x".write(toFile: "\(dir)/truth.json", atomically: true, encoding: .utf8)
        try "hidden".write(toFile: "\(dir)/.DS_Store", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(dir)/sub.png", withIntermediateDirectories: true)
        let planned = try plan(dir, ["frames_per_task": "2"])
        let shards = try payloads(planned)
        XCTAssertEqual(shards.map(\.firstFrame), [0, 2, 4])
        XCTAssertEqual(shards.flatMap(\.files).map { ($0 as NSString).lastPathComponent }, ["f0.PNG", "f1.png", "f2.png", "f10.png", "f11.png"])
        XCTAssertTrue(shards.allSatisfy { $0.width == 16 && $0.height == 12 && $0.files.allSatisfy { $0.hasPrefix(dir + "/") } })
        XCTAssertEqual(planned.shards.map(\.kind), ["tem", "tem", "tem"])
        XCTAssertEqual(planned.merge?.kind, "tem")
        XCTAssertEqual(try JSONDecoder().decode(TEMMergePayload.self, from: Data(planned.merge!.payload.utf8)).frames, 5)
        let notes = planned.notes.filter { !$0.hasPrefix("found ") }
        XCTAssertEqual(notes.count, 1, "\(planned.notes)")
        XCTAssertTrue(notes[0].contains("2 file(s)") && notes[0].contains("notes.txt, truth.json"), notes[0])
        XCTAssertEqual(planned.notes.filter { $0.hasPrefix("found ") }, ["found f0.PNG: PNG, 16×12"])
    }

    func testDefaultRangeIsAboutOneSecondOfWork() throws {
        XCTAssertEqual(TEMJobOptions.defaultFramesPerTask(width: 512, height: 512), 200)
        // A 256×256 frame costs about half of a 512×512 one (measured), not a quarter: ≈ 390
        // frames, not the 800 of a pure pixel count (whose shards ran 3–4× longer than aimed).
        XCTAssertEqual(TEMJobOptions.defaultFramesPerTask(width: 256, height: 256), 388)
        XCTAssertEqual(TEMJobOptions.defaultFramesPerTask(width: 4096, height: 4096), 5)
        XCTAssertEqual(TEMJobOptions.defaultFramesPerTask(width: 8, height: 8), 563)
        // Every size gets the 512×512 shard's modelled cost (within rounding), and larger frames
        // never get more frames per shard.
        let reference = 200 * TEMJobOptions.frameCostMs(pixels: 512 * 512)
        var previous = Int.max
        for side in stride(from: 16, through: 2048, by: 16) {
            let frames = TEMJobOptions.defaultFramesPerTask(width: side, height: side)
            let cost = Double(frames) * TEMJobOptions.frameCostMs(pixels: side * side)
            let oneFrame = TEMJobOptions.frameCostMs(pixels: side * side)
            XCTAssertEqual(cost, reference, accuracy: oneFrame / 2 + 1e-9, "\(side)²: \(frames) frames, \(cost) ms")
            XCTAssertLessThanOrEqual(frames, previous, "\(side)²")
            previous = frames
        }
        // The measured costs the model was fitted to (ms per frame in a shard).
        XCTAssertEqual(TEMJobOptions.frameCostMs(pixels: 256 * 256), 3.4, accuracy: 0.1)
        XCTAssertEqual(TEMJobOptions.frameCostMs(pixels: 512 * 512), 6.6, accuracy: 0.1)
        let dir = try Self.directory("default")
        for i in 0..<3 { try Self.frame("\(dir)/f\(i).png") }
        let planned = try plan(dir)
        XCTAssertEqual(planned.shards.count, 1)
        XCTAssertEqual(planned.notes, ["found f0.png: PNG, 16×12"])
    }

    func testFrameOfAnotherSizeIsAnErrorNamingIt() throws {
        let dir = try Self.directory("odd")
        try Self.frame("\(dir)/img_1.png")
        try Self.frame("\(dir)/img_2.png")
        try Self.frame("\(dir)/img_3.png", width: 20)
        try Self.frame("\(dir)/img_4.png", width: 24)
        XCTAssertThrowsError(try plan(dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("img_3.png") && text.contains("20×12") && text.contains("16×12") && !text.contains("img_4"), text)
        }
    }

    func testEmptyMissingAndFileInputsAreClearErrors() throws {
        let empty = try Self.directory("empty")
        XCTAssertThrowsError(try plan(empty)) { XCTAssertTrue("\($0)".contains("holds no frames") && "\($0)".contains("empty"), "\($0)") }
        try "x".write(toFile: "\(empty)/readme.md", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try plan(empty)) { XCTAssertTrue("\($0)".contains("holds no frames") && "\($0)".contains("readme.md"), "\($0)") }
        XCTAssertThrowsError(try plan(empty + "/nope")) { XCTAssertTrue("\($0)".contains("nope does not exist"), "\($0)") }
        try Self.frame("\(empty)/one.png")
        // One image file is a one-frame video.
        XCTAssertEqual(try payloads(try plan(empty + "/one.png")).flatMap(\.files), [empty + "/one.png#0"])
        XCTAssertThrowsError(try plan(empty, ["frames_per_task": "0"])) { XCTAssertTrue("\($0)".contains("frames_per_task"), "\($0)") }
        XCTAssertThrowsError(try plan(empty, ["bright_lines": "maybe"])) { XCTAssertTrue("\($0)".contains("bright_lines"), "\($0)") }
        XCTAssertThrowsError(try plan(empty, ["detector": "frangi"])) { XCTAssertTrue("\($0)".contains("detector=frangi") && "\($0)".contains("null"), "\($0)") }
    }

    func testUnreadableHeaderLeavesTheFrameToItsTask() throws {
        let dir = try Self.directory("header")
        try Self.frame("\(dir)/a0.png")
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: "\(dir)/a1.png"))
        try Self.frame("\(dir)/a2.png")
        let planned = try plan(dir, ["frames_per_task": "1"])
        XCTAssertEqual(planned.shards.count, 3)
        XCTAssertTrue(planned.notes.contains { $0.contains("a1.png") && $0.contains("unreadable") }, "\(planned.notes)")

        let bad = try Self.directory("allbad")
        try Data("nope".utf8).write(to: URL(fileURLWithPath: "\(bad)/x.png"))
        XCTAssertThrowsError(try plan(bad)) { XCTAssertTrue("\($0)".contains("x.png") && "\($0)".contains("not a PNG"), "\($0)") }
    }
}
