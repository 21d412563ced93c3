import CFFmpeg
import Foundation

/// One video stream of a container file through libavformat/libavcodec: packets demuxed one at
/// a time and decoded by one thread (workers parallelise across tasks), so memory holds the
/// decoder's few reference frames whatever the file's size. Every libav* failure becomes a
/// ``FormatError`` naming the file.
///
/// Not thread-safe: one per task.
final class VideoDecoder {
    let file: String
    let containerName: String
    let codecName: String
    let width: Int
    let height: Int
    /// The stream's time base (seconds per timestamp unit).
    let timeBase: Double
    /// Seconds between frames: the stream's base rate `r_frame_rate` (the lowest rate all its
    /// timestamps fall on; `avg_frame_rate` counts a missing last-frame duration), else
    /// `avg_frame_rate`; nil when neither is known.
    let frameInterval: Double?
    /// Frames the container declares (0 when it does not say).
    let declaredFrames: Int
    /// The stream's duration in seconds, when the container says.
    let durationS: Double?

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    /// The last decoded frame (valid until the next `nextFrame`).
    private(set) var frame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    /// Heap cell the interrupt callback reads: the wall-clock deadline of the current call.
    private let deadline = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
    private var drained = false
    /// The in-memory reader for a `.memory` input (freed after the format context).
    private var memory: VideoMemoryCursor?
    /// Packets of the video stream demuxed so far (sent to the decoder or counted).
    private(set) var packetsRead = 0

    /// Longest a single open, seek or frame may take before it is an error (a damaged file that
    /// makes a demuxer loop ends here instead of hanging the worker).
    static let callTimeoutS: Double = 60

    /// libavformat demuxers tried on a file (AVI, MP4/MOV, Matroska/WebM).
    static let containers = "avi,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"

    /// Opens `input`'s best video stream and its decoder. `probeBytes` caps what libavformat
    /// reads to recognise the container and find the stream's parameters (nil: libavformat's
    /// default, 5 MB; the fuzz target passes a few kilobytes).
    init(input: VideoInput, probeBytes: Int? = nil) throws {
        let path = input.name
        file = path
        VideoDecoder.quietOnce
        switch input {
        case .file(let path):
            guard FileManager.default.isReadableFile(atPath: path) else {
                deadline.deallocate()
                throw FormatError(.unreadable, file: path, problem: "it does not exist or cannot be read")
            }
        case .memory(let bytes, let name):
            do { memory = try VideoMemoryCursor(bytes, name: name) } catch { deadline.deallocate(); throw error }
        }
        deadline.initialize(to: Self.deadlineFromNow())
        var opened = avformat_alloc_context()
        if let context = opened {
            slipline_av_set_deadline_callback(context, deadline)
            // Only the containers Slipline documents: probing every libavformat demuxer on a
            // damaged file is slower and exposes parsers nobody here has checked.
            context.pointee.format_whitelist = av_strdup(Self.containers)
            if let memory {
                context.pointee.pb = memory.io
                context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO  // libavformat must not close our AVIOContext
            }
            if let probeBytes {
                context.pointee.probesize = Int64(probeBytes)
                context.pointee.format_probesize = Int32(clamping: probeBytes)
            }
        }
        let status = avformat_open_input(&opened, path, nil, nil)  // frees the context on failure
        guard status >= 0, let context = opened else {
            deadline.deallocate()
            throw FormatError(.corrupt, file: path, problem: "libavformat cannot open it as an AVI/MP4/MOV/MKV video: \(Self.message(status))",
                              fix: "the file is damaged, truncated or not a video; check that it plays (ffprobe FILE)")
        }
        let info: VideoStreamInfo
        do {
            info = try VideoStreamInfo(context, file: path)
        } catch {
            avformat_close_input(&opened)
            deadline.deallocate()
            throw error
        }
        format = context
        streamIndex = info.index
        (codecName, containerName, width, height) = (info.codecName, info.containerName, info.width, info.height)
        (timeBase, frameInterval) = (info.timeBase, info.frameInterval)
        (declaredFrames, durationS) = (info.declaredFrames, info.durationS)
        try openCodec(info.parameters)  // on failure deinit frees what is open
    }

    deinit {
        close()
        deadline.deallocate()
    }

    private func close() {
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if codec != nil { avcodec_free_context(&codec) }
        if format != nil { avformat_close_input(&format) }
        memory = nil
    }

    static let quietOnce: Void = slipline_av_quiet()

    private func openCodec(_ parameters: UnsafeMutablePointer<AVCodecParameters>) throws {
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw FormatError(.unsupported, file: file, problem: "its video codec \(codecName) has no decoder in this libavcodec",
                              fix: "re-encode it as H.264, MJPEG, FFV1 or raw video (ffmpeg -i IN -c:v ffv1 OUT.mkv), or convert it to TIFF frames")
        }
        guard let context = avcodec_alloc_context3(decoder) else { throw FormatError(.tooLarge, file: file, problem: "out of memory opening its decoder") }
        codec = context
        guard avcodec_parameters_to_context(context, parameters) >= 0 else {
            throw FormatError(.corrupt, file: file, problem: "its \(codecName) stream parameters are invalid")
        }
        context.pointee.thread_count = 1  // one decoding thread per task: workers parallelise across tasks
        let status = avcodec_open2(context, decoder, nil)
        guard status >= 0 else {
            throw FormatError(.unsupported, file: file, problem: "libavcodec cannot open its \(codecName) decoder: \(Self.message(status))",
                              fix: "re-encode it as H.264, MJPEG or FFV1, or convert it to TIFF frames")
        }
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        guard packet != nil, frame != nil else { throw FormatError(.tooLarge, file: file, problem: "out of memory allocating frames") }
    }

    /// Decodes the next frame in presentation order into `frame`; false at the end of the stream.
    func nextFrame() throws -> Bool {
        guard let codec, let format, let packet, let frame else { return false }
        deadline.pointee = Self.deadlineFromNow()
        defer { deadline.pointee = 0 }
        while true {
            let received = avcodec_receive_frame(codec, frame)
            if received >= 0 { return true }
            if received == slipline_av_eof() { return false }
            guard received == slipline_av_eagain() else { throw decodeError(received) }
            guard !drained else { return false }
            let read = av_read_frame(format, packet)
            if read < 0 {
                guard read == slipline_av_eof() || (format.pointee.pb != nil && avio_feof(format.pointee.pb) != 0) else {
                    throw FormatError(.corrupt, file: file, problem: "libavformat cannot read the next packet: \(Self.message(read))",
                                      fix: "the file is damaged or truncated; copy it again")
                }
                drained = true
                _ = avcodec_send_packet(codec, nil)  // flush: the decoder hands out its delayed frames
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            packetsRead += 1
            let sent = avcodec_send_packet(codec, packet)
            guard sent >= 0 || sent == slipline_av_eagain() else { throw decodeError(sent) }
        }
    }

    /// The current frame's timestamp in stream units (best effort), nil when it has none.
    var frameTimestamp: Int64? {
        guard let frame else { return nil }
        let ts = frame.pointee.best_effort_timestamp
        return ts == slipline_av_nopts() ? nil : ts
    }

    /// Moves so that `nextFrame` returns the key frame at or before `timestamp` (stream units)
    /// and then the frames after it.
    func seek(toTimestamp timestamp: Int64) throws {
        guard let format, let codec else { return }
        deadline.pointee = Self.deadlineFromNow()
        defer { deadline.pointee = 0 }
        let status = av_seek_frame(format, streamIndex, timestamp, AVSEEK_FLAG_BACKWARD)
        guard status >= 0 else {
            throw FormatError(.corrupt, file: file, problem: "libavformat cannot seek to timestamp \(timestamp): \(Self.message(status))",
                              fix: "the file's index is damaged; remux it (ffmpeg -i IN -c copy OUT.mkv)")
        }
        avcodec_flush_buffers(codec)
        drained = false
    }

    /// Counts the stream's packets from the current position to the end (demuxing only, no
    /// decoding) and returns all the stream's packets (``packetsRead`` included); the decoder
    /// is then at the end (``seek(toTimestamp:)`` back, or open another, to read frames).
    func countPackets() throws -> Int {
        guard let format, let packet else { return 0 }
        defer { deadline.pointee = 0 }
        var count = 0
        while true {
            deadline.pointee = Self.deadlineFromNow()
            let read = av_read_frame(format, packet)
            guard read >= 0 else { break }
            if packet.pointee.stream_index == streamIndex { count += 1 }
            av_packet_unref(packet)
        }
        packetsRead += count
        drained = true
        return packetsRead
    }

    private func decodeError(_ status: Int32) -> FormatError {
        FormatError(.corrupt, file: file, problem: "libavcodec cannot decode its \(codecName) stream: \(Self.message(status))",
                    fix: "the file is damaged or truncated; copy it again, or re-encode it (ffmpeg -i IN -c:v ffv1 OUT.mkv)")
    }

    private static func deadlineFromNow() -> Int64 { av_gettime_relative() + Int64(callTimeoutS * 1e6) }

    static func seconds(_ r: AVRational) -> Double? {
        r.num > 0 && r.den > 0 ? Double(r.num) / Double(r.den) : nil
    }

    /// libav*'s text for an error code.
    static func message(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        guard av_strerror(status, &buffer, buffer.count) == 0 else { return "error \(status)" }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
