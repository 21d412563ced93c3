import Foundation
import Kernels
@testable import Kinds
import Logging
import Shared
import SliplineTestSupport
import XCTest

/// A TEM shard whose job was cancelled (`KindContext.cancelled`, set by the worker when the
/// lease renewal says the task is no longer its own) stops between frames and returns nothing;
/// the worker's `stop` alone (a graceful shutdown) does not stop it.
final class TEMShardCancelTests: XCTestCase {
    func testACancelledShardStopsBetweenFramesAndAShutdownDoesNot() throws {
        let dir = try TestFiles.temporaryDirectory("temcancel")
        let params = TEMSynthParams.preset(.easy, seed: 5, frames: 3)
        let synth = TEMSynthesizer(params: params)
        for f in 0..<3 {
            try PNGWriter.writeGray8(path: String(format: "%@/f%d.png", dir, f), width: params.width, height: params.height,
                                     pixels: synth.frame8(f))
        }
        let harness = try KindHarness(TEMKind(), input: dir, params: ["frames_per_task": "3"])
        let shard = try XCTUnwrap(harness.plan().shards.first)
        let options = try TEMKind().options(harness.params)
        func context(stop: StopFlag, cancelled: StopFlag) -> KindContext {
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            return KindContext(jobId: 1, taskId: 7, attempt: 1, jobInput: dir, output: harness.output, logger: logger,
                               stop: stop, cancelled: cancelled)
        }
        let cancelled = StopFlag()
        cancelled.signal()
        XCTAssertThrowsError(try TEMKind().runShard(shard, options: options, context: context(stop: cancelled, cancelled: cancelled))) {
            XCTAssertTrue("\($0)".contains("task 7 stopped"), "\($0)")
        }
        let stopping = StopFlag()
        stopping.signal()
        let result = try TEMKind().runShard(shard, options: options, context: context(stop: stopping, cancelled: StopFlag()))
        XCTAssertEqual(result.output.frames, 3, "a shutting-down worker's shard runs on to its end (within the grace period)")
    }
}
