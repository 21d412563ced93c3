import CFFmpeg
import Foundation

/// Writes 8-bit grey frames as a video through libavcodec/libavformat (container from the file
/// name: .mp4, .mkv, .avi): what `ctl bench formats` decodes and the end-to-end tests run on.
/// The encoder gets grey when it takes it, else YUV 4:2:0 with neutral chroma (full range, or
/// limited range as luma 16 + v·219/255, which ``VideoFrameConverter`` maps back to v/255).
public struct VideoWriter {
    /// A libavcodec encoder name: `libx264` (H.264, when Debian's libavcodec has it), `mjpeg`, `ffv1`, `rawvideo`…
    public var codec: String
    /// Frames per second as a fraction.
    public var rate: (num: Int32, den: Int32) = (25, 1)
    /// Encoder options (e.g. `crf`, `preset`, `g` for the key-frame interval).
    public var options: [String: String] = [:]
    /// Grey frames when the encoder takes them; false: YUV 4:2:0, what most cameras' movies hold.
    public var grey = true

    public init(codec: String = "libx264") { self.codec = codec }

    /// Whether this libavcodec has the encoder `name`.
    public static func hasEncoder(_ name: String) -> Bool { avcodec_find_encoder_by_name(name) != nil }

    /// Writes `frames` (`width * height` grey values each, row-major) to `path`.
    public func write(path: String, width: Int, height: Int, frames: [[UInt8]]) throws {
        func fail(_ what: String, _ status: Int32 = 0) -> FormatError {
            FormatError(.writeFailed, .write, file: path, problem: what + (status < 0 ? ": \(VideoDecoder.message(status))" : ""))
        }
        VideoDecoder.quietOnce
        guard let encoder = avcodec_find_encoder_by_name(codec) else { throw fail("this libavcodec has no encoder \(codec)") }
        var output: UnsafeMutablePointer<AVFormatContext>?
        let made = avformat_alloc_output_context2(&output, nil, nil, path)
        guard made >= 0, let context = output else { throw fail("libavformat has no container for this file name", made) }
        defer {
            if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
            avformat_free_context(context)
        }
        guard let stream = avformat_new_stream(context, nil) else { throw fail("cannot add a video stream") }
        var codecContext = avcodec_alloc_context3(encoder)
        guard let encoding = codecContext else { throw fail("out of memory") }
        defer { avcodec_free_context(&codecContext) }
        encoding.pointee.width = Int32(width)
        encoding.pointee.height = Int32(height)
        encoding.pointee.time_base = AVRational(num: rate.den, den: rate.num)
        encoding.pointee.framerate = AVRational(num: rate.num, den: rate.den)
        encoding.pointee.pix_fmt = Self.pixelFormat(encoder, grey: grey)
        encoding.pointee.thread_count = 1
        if context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 { encoding.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER) }
        var dictionary: OpaquePointer?
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        let opened = avcodec_open2(encoding, encoder, &dictionary)
        av_dict_free(&dictionary)
        guard opened >= 0 else { throw fail("cannot open the \(codec) encoder", opened) }
        guard avcodec_parameters_from_context(stream.pointee.codecpar, encoding) >= 0 else { throw fail("cannot set the stream parameters") }
        stream.pointee.time_base = encoding.pointee.time_base
        let io = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
        guard io >= 0 else { throw fail("cannot create the file", io) }
        let header = avformat_write_header(context, nil)
        guard header >= 0 else { throw fail("cannot write the container header", header) }
        var allocatedFrame = av_frame_alloc()
        var allocatedPacket = av_packet_alloc()
        defer { av_frame_free(&allocatedFrame); av_packet_free(&allocatedPacket) }
        guard let frame = allocatedFrame, let packet = allocatedPacket else { throw fail("out of memory") }
        for (index, pixels) in frames.enumerated() {
            precondition(pixels.count == width * height, "frame \(index) holds \(pixels.count) values, not \(width)×\(height)")
            try fill(frame, pixels, width: width, height: height, format: encoding.pointee.pix_fmt, pts: Int64(index), fail: fail)
            try drain(encoding, frame, packet, into: context, stream: stream, fail: fail)
        }
        try drain(encoding, nil, packet, into: context, stream: stream, fail: fail)
        let trailer = av_write_trailer(context)
        guard trailer >= 0 else { throw fail("cannot finish the file", trailer) }
    }

    /// Grey when asked and the encoder takes it, else YUV 4:2:0.
    private static func pixelFormat(_ encoder: UnsafePointer<AVCodec>, grey: Bool) -> AVPixelFormat {
        var offered: [AVPixelFormat] = []
        if var p = encoder.pointee.pix_fmts {
            while p.pointee != AV_PIX_FMT_NONE { offered.append(p.pointee); p += 1 }
        }
        if grey, offered.contains(AV_PIX_FMT_GRAY8) { return AV_PIX_FMT_GRAY8 }
        // 4:2:0 in the encoder's own order of preference (libx264: limited range; MJPEG: full).
        return offered.first { $0 == AV_PIX_FMT_YUV420P || $0 == AV_PIX_FMT_YUVJ420P } ?? offered.first ?? AV_PIX_FMT_GRAY8
    }

    private func fill(_ frame: UnsafeMutablePointer<AVFrame>, _ pixels: [UInt8], width: Int, height: Int, format: AVPixelFormat, pts: Int64,
                      fail: (String, Int32) -> FormatError) throws {
        av_frame_unref(frame)
        frame.pointee.format = format.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        let got = av_frame_get_buffer(frame, 0)
        guard got >= 0 else { throw fail("cannot allocate a frame", got) }
        let limited = format == AV_PIX_FMT_YUV420P
        let luma = frame.pointee.data.0!, stride = Int(frame.pointee.linesize.0)
        for y in 0..<height {
            for x in 0..<width {
                let v = pixels[y * width + x]
                luma[y * stride + x] = limited ? UInt8((16 + Double(v) * 219 / 255).rounded()) : v
            }
        }
        if format != AV_PIX_FMT_GRAY8 {
            for (plane, lines) in [(frame.pointee.data.1, frame.pointee.linesize.1), (frame.pointee.data.2, frame.pointee.linesize.2)] {
                guard let plane else { continue }
                plane.update(repeating: 128, count: Int(lines) * ((height + 1) / 2))
            }
        }
        frame.pointee.pts = pts
    }

    /// Sends `frame` (nil: flush) and writes every packet the encoder hands back.
    private func drain(_ encoding: UnsafeMutablePointer<AVCodecContext>, _ frame: UnsafeMutablePointer<AVFrame>?, _ packet: UnsafeMutablePointer<AVPacket>,
                       into context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>,
                       fail: (String, Int32) -> FormatError) throws {
        let sent = avcodec_send_frame(encoding, frame)
        guard sent >= 0 else { throw fail("the \(codec) encoder refused a frame", sent) }
        while true {
            let received = avcodec_receive_packet(encoding, packet)
            if received == slipline_av_eagain() || received == slipline_av_eof() { return }
            guard received >= 0 else { throw fail("the \(codec) encoder failed", received) }
            if packet.pointee.duration == 0 { packet.pointee.duration = 1 }  // one frame, in the encoder's time base
            av_packet_rescale_ts(packet, encoding.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(context, packet)
            guard written >= 0 else { throw fail("cannot write a packet", written) }
        }
    }
}
