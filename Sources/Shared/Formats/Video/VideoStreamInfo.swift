import CFFmpeg
import Foundation

/// What an opened container says about its best video stream: codec, size, time base, frame
/// rates, declared frame count and duration. Reading it finds the stream info (libavformat
/// probes the first packets) and checks the frame size against ``FrameLimits``.
struct VideoStreamInfo {
    var index: Int32
    var parameters: UnsafeMutablePointer<AVCodecParameters>
    var codecName: String
    var containerName: String
    var width: Int
    var height: Int
    var timeBase: Double
    var frameInterval: Double?
    var declaredFrames: Int
    var durationS: Double?

    init(_ context: UnsafeMutablePointer<AVFormatContext>, file: String) throws {
        let found = avformat_find_stream_info(context, nil)
        guard found >= 0 else {
            throw FormatError(.corrupt, file: file, problem: "libavformat cannot read its streams: \(VideoDecoder.message(found))",
                              fix: "the file is damaged or truncated; copy it again")
        }
        // A container with no stream at all is damaged, not a sound file without pictures: an
        // MP4 cut before its index (the `moov` box ffmpeg writes at the end) opens this way.
        guard context.pointee.nb_streams > 0 else {
            throw FormatError(.truncated, file: file, problem: "it holds no readable stream (an MP4/MOV cut before its index?)",
                              fix: "the file is damaged or truncated; copy it again")
        }
        let best = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        // An MP4/MOV cut inside its index opens with its track but no sample description: every
        // stream a data stream of no codec. That is a damaged file, not one without pictures.
        let streams = (0..<Int(context.pointee.nb_streams)).compactMap { context.pointee.streams[$0]?.pointee.codecpar }
        if best < 0, streams.allSatisfy({ $0.pointee.codec_id == AV_CODEC_ID_NONE }) {
            throw FormatError(.truncated, file: file, problem: "none of its streams has a codec (an MP4/MOV cut inside its index?)",
                              fix: "the file is damaged or truncated; copy it again")
        }
        guard best >= 0, let stream = context.pointee.streams[Int(best)], let parameters = stream.pointee.codecpar else {
            throw FormatError(.unsupported, file: file, problem: "it holds no video stream (\(VideoDecoder.message(best)))",
                              fix: "pass a video with a picture stream, or its frames as TIFF/PNG")
        }
        index = best
        self.parameters = parameters
        // Demux only this stream: libavformat then skips the packets of audio and other streams.
        for i in 0..<Int(context.pointee.nb_streams) where i != Int(best) { context.pointee.streams[i]?.pointee.discard = AVDISCARD_ALL }
        codecName = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        containerName = String(cString: context.pointee.iformat.pointee.name)
        width = Int(parameters.pointee.width)
        height = Int(parameters.pointee.height)
        try FrameLimits.check(width: width, height: height, file: file, format: "video (\(codecName))")
        timeBase = VideoDecoder.seconds(stream.pointee.time_base) ?? 0
        guard timeBase > 0 else { throw FormatError(.corrupt, file: file, problem: "its video stream has no time base") }
        let base = VideoDecoder.seconds(stream.pointee.r_frame_rate).map { 1 / $0 }
        frameInterval = base ?? VideoDecoder.seconds(stream.pointee.avg_frame_rate).map { 1 / $0 }
        declaredFrames = max(0, Int(stream.pointee.nb_frames))
        if stream.pointee.duration > 0, stream.pointee.duration != slipline_av_nopts() {
            durationS = Double(stream.pointee.duration) * timeBase
        } else if context.pointee.duration > 0, context.pointee.duration != slipline_av_nopts() {
            durationS = Double(context.pointee.duration) / Double(AV_TIME_BASE)
        } else {
            durationS = nil
        }
    }
}
