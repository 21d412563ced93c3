import CFFmpeg
import Foundation

/// A video file (AVI, MP4/MOV, MKV/WebM; any codec this libavcodec decodes — H.264, MJPEG,
/// FFV1, raw video…) as a grey frame stack through libavformat/libavcodec. Frames stream in
/// order with one decoder's memory: reading frame N after N−1 decodes one frame; any other
/// frame seeks to the key frame before it and decodes forward, so a shard reading a
/// contiguous range seeks once.
///
/// - Frame count: the container's, when its duration agrees with it (±1 frame); otherwise the
///   video stream's packets are counted (demuxing only). A stream that ends before its declared
///   count is a `truncated` error at the first missing frame.
/// - Frame interval: the stream's base rate (`r_frame_rate`, else `avg_frame_rate`) becomes
///   `frameIntervalS`.
/// - Variable frame rate is refused: each decoded frame's timestamp must fall on its index times
///   the frame interval (±½ frame), because velocities need a constant interval and `FILE#N` a
///   frame index; the error names the first frame off the grid and the re-encoding that fixes it.
/// - Grey values: see ``VideoFrameConverter``.
public final class VideoStack: FrameStack {
    public let file: String
    public let frameCount: Int
    public let width: Int
    public let height: Int
    public let metadata: FrameMetadata
    public let formatDescription: String
    private var decoder: VideoDecoder
    private let converter = VideoFrameConverter()
    /// Index of the frame the decoder holds (nil before the first and after a seek).
    private var current: Int?
    /// Timestamp of frame 0 and stream units per frame; nil when the stream has no timestamps.
    private let origin: Int64?
    private let ticksPerFrame: Double?
    /// Decoding forward beats seeking within this many frames (a typical key-frame interval).
    static let forwardLimit = 250

    /// Where the bytes come from (a reopen, when a seek cannot position the decoder, reads it again).
    private let input: VideoInput
    private let probeBytes: Int?

    /// Opens the video file at `path`.
    public convenience init(path: String) throws {
        try self.init(input: .file(path))
    }

    /// Opens a video held in memory (`name` is what errors call it); `probeBytes` caps what
    /// libavformat reads to find the streams (nil: its default).
    convenience init(bytes: UnsafeRawBufferPointer, name: String, probeBytes: Int? = nil) throws {
        try self.init(input: .memory(VideoBytes(bytes), name: name), probeBytes: probeBytes)
    }

    init(input: VideoInput, probeBytes: Int? = nil) throws {
        let path = input.name
        (file, self.input, self.probeBytes) = (path, input, probeBytes)
        let decoder = try VideoDecoder(input: input, probeBytes: probeBytes)
        self.decoder = decoder
        (width, height) = (decoder.width, decoder.height)
        let interval = decoder.frameInterval
        metadata = FrameMetadata(frameIntervalS: interval)
        guard try decoder.nextFrame() else {
            throw FormatError(.corrupt, file: path, problem: "its \(decoder.codecName) stream holds no decodable frame",
                              fix: "the file is damaged or empty; check that it plays (ffplay FILE)")
        }
        current = 0
        origin = decoder.frameTimestamp
        let timeBase = decoder.timeBase
        ticksPerFrame = interval.map { $0 / timeBase }
        let declared = decoder.declaredFrames
        let expected = decoder.durationS.flatMap { d in interval.map { d / $0 } }
        var how = "declared"
        if declared > 0, expected.map({ abs($0 - Double(declared)) <= 1.01 }) ?? true {
            frameCount = declared
        } else {
            // Counted with this decoder (demuxing the rest): the first read then seeks back to
            // frame 0, so the file is opened once, not once to count and once to decode.
            frameCount = try decoder.countPackets()
            current = nil
            how = declared > 0 ? "counted; the container declares \(declared)" : "counted"
        }
        guard frameCount >= 1 else { throw FormatError(.corrupt, file: path, problem: "its video stream holds no frame") }
        let rate = interval.map { String(format: "%.6g frames/s", 1 / $0) } ?? "no frame rate"
        formatDescription = "video \(decoder.containerName), \(decoder.codecName), \(frameCount) frame(s) (\(how)) of \(width)×\(height), \(rate)"
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index >= 0, index < frameCount else {
            throw FormatError(.invalidArgument, file: file, problem: "frame \(index) does not exist (the video has \(frameCount) frames)")
        }
        if let current, current <= index, index - current <= Self.forwardLimit {
            // decode forward from here
        } else {
            try seek(before: index)
        }
        while current != index { try advance(towards: index) }
        guard let frame = decoder.frame else { throw FormatError(.corrupt, file: file, problem: "frame \(index) did not decode") }
        guard Int(frame.pointee.width) == width, Int(frame.pointee.height) == height else {
            throw FormatError(.wrongShape, file: file, problem: "frame \(index) is \(frame.pointee.width)×\(frame.pointee.height) pixels, frame 0 is \(width)×\(height)",
                              fix: "every frame of a video must have the same size; re-encode at one size")
        }
        try converter.convert(frame, width: width, height: height, file: file, into: &pixels)
    }

    /// Positions the decoder before `index`: at the key frame at or before it when timestamps
    /// allow, else (no timestamps, or the seek landed after it) at the start of the file.
    private func seek(before index: Int) throws {
        current = nil
        if let origin, let ticksPerFrame {
            // Half a frame early, so rounding of the container's timestamps cannot land after it
            // (frame 0: its own timestamp, as nothing is before it). A damaged stream's
            // timestamps can be anywhere in Int64: the target is computed in Double and checked.
            let target = index == 0 ? Double(origin) : Double(origin) + (Double(index) - 0.5) * ticksPerFrame
            if abs(target) < 9e18 {
                do {
                    try decoder.seek(toTimestamp: Int64(target))
                    // A frame without a timestamp, or the end, after the seek: read from the start instead.
                    if (try? advance(towards: index)) != nil, let current, current <= index { return }
                } catch where index == 0 {
                    // frame 0 is at the start: reopen below (a container that cannot seek)
                }
            }
        }
        decoder = try VideoDecoder(input: input, probeBytes: probeBytes)  // the start, whatever the container can seek to
        current = -1
    }

    /// Decodes the next frame and works out its index (from its timestamp, checked against the
    /// expected one, or by counting).
    private func advance(towards index: Int) throws {
        guard try decoder.nextFrame() else {
            throw FormatError(.truncated, file: file,
                              problem: "its video stream ends after frame \(current.map(String.init) ?? "?") but frame \(index) was asked for (of \(frameCount))",
                              fix: "the file is incomplete (recording or copy interrupted?); copy it again, or remux it (ffmpeg -i IN -c copy OUT.mkv) to fix its frame count")
        }
        let expected = current.map { $0 + 1 }
        guard let ts = decoder.frameTimestamp, let origin, let ticksPerFrame else {
            guard let expected else { throw FormatError(.corrupt, file: file, problem: "its frames carry no timestamps after a seek") }
            current = expected
            return
        }
        let position = (Double(ts) - Double(origin)) / ticksPerFrame
        guard position.isFinite, abs(position) < 1e15 else {
            throw FormatError(.corrupt, file: file, problem: "a frame's timestamp (\(ts)) is \(position) frames from frame 0's (\(origin))",
                              fix: "the file's timestamps are damaged; remux it (ffmpeg -i IN -c copy OUT.mkv)")
        }
        let found = Int(position.rounded())
        if let expected, found != expected || abs(position - Double(found)) > 0.5 {
            throw FormatError(.unsupported, file: file,
                              problem: String(format: "frame %d has timestamp %.6g s where a constant frame rate puts it at %.6g s (variable frame rate or dropped frames); Slipline needs a constant frame interval",
                                              expected, (Double(ts) - Double(origin)) * decoder.timeBase, Double(expected) * ticksPerFrame * decoder.timeBase),
                              fix: "re-encode at a constant rate: ffmpeg -i IN -fps_mode cfr -c:v ffv1 OUT.mkv")
        }
        current = found
    }
}
