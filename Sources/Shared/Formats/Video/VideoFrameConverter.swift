import CFFmpeg

/// A decoded picture to grey Floats in [0, 1]: the luma (or grey) plane as stored when the
/// pixel format has one (YUV planar and semi-planar, grey; 8 to 16 bits), else swscale to
/// GRAY16 (RGB, palette, packed YUV, big-endian, float). Limited-range ("TV") YUV maps luma
/// 16…235 (scaled to the bit depth) to 0…1, so a grey video written as H.264 reads back as the
/// grey values that went in; full-range YUV and grey map 0…2^depth−1 to 0…1.
final class VideoFrameConverter {
    private var scaler: OpaquePointer?
    private var scalerKey: (format: Int32, width: Int32, height: Int32)?
    private var grey16: [UInt8] = []

    deinit { sws_freeContext(scaler) }

    /// Fills `pixels` (`width * height`, row-major) from `frame`.
    func convert(_ frame: UnsafePointer<AVFrame>, width: Int, height: Int, file: String, into pixels: inout [Float]) throws {
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        var depth: Int32 = 8, isYUV: Int32 = 0
        let format = AVPixelFormat(rawValue: frame.pointee.format)
        let bytes = Int(slipline_av_luma_plane(format, &depth, &isYUV))
        if bytes > 0, let plane = frame.pointee.data.0 {
            let limited = isYUV != 0 && frame.pointee.color_range != AVCOL_RANGE_JPEG
            let (scale, offset) = Self.lumaMapping(depth: Int(depth), limited: limited)
            copyPlane(plane, stride: Int(frame.pointee.linesize.0), bytes: bytes, scale: scale, offset: offset, width: width, height: height, into: &pixels)
        } else {
            try scaleToGrey16(frame, width: width, height: height, file: file)
            grey16.withUnsafeBytes { source in
                copyPlane(source.baseAddress!.assumingMemoryBound(to: UInt8.self), stride: width * 2, bytes: 2, scale: 1 / 65535, offset: 0,
                          width: width, height: height, into: &pixels)
            }
        }
    }

    /// `value = stored * scale + offset` for luma of `depth` bits, full or limited range.
    static func lumaMapping(depth: Int, limited: Bool) -> (scale: Float, offset: Float) {
        guard limited else { return (1 / Float((1 << depth) - 1), 0) }
        let unit = Float(1 << max(0, depth - 8))  // limited range scales 16…235 by 2^(depth−8)
        return (1 / (219 * unit), -16 / 219)
    }

    /// Row by row (the plane's stride may pad rows), `stored * scale + offset` in one SIMD pass
    /// per row (one read of the decoder's plane, one write of the Floats).
    private func copyPlane(_ plane: UnsafePointer<UInt8>, stride: Int, bytes: Int, scale: Float, offset: Float,
                           width: Int, height: Int, into pixels: inout [Float]) {
        pixels.withUnsafeMutableBufferPointer { dst in
            guard let out = dst.baseAddress else { return }
            for y in 0..<height {
                let row = UnsafeRawPointer(plane + y * stride)
                if bytes == 1 {
                    Self.mapRow(row, out + y * width, width, scale, offset, UInt8.self)
                } else {
                    Self.mapRow(row, out + y * width, width, scale, offset, UInt16.self)
                }
            }
        }
    }

    /// `n` samples of `T` (unaligned, native byte order) to `Float(v) * a + b`, 16 at a time.
    @inline(__always)
    private static func mapRow<T: FixedWidthInteger & SIMDScalar>(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
                                                                  _ a: Float, _ b: Float, _: T.Type) {
        let size = MemoryLayout<T>.size
        let bias = SIMD16<Float>(repeating: b)
        var i = 0
        while i + 16 <= n {
            let v = src.loadUnaligned(fromByteOffset: i * size, as: SIMD16<T>.self)
            let f = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v)) * a + bias
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            dst[i] = Float(src.loadUnaligned(fromByteOffset: i * size, as: T.self)) * a + b
            i += 1
        }
    }

    /// swscale to 16-bit grey for the formats without a luma plane to take as is.
    private func scaleToGrey16(_ frame: UnsafePointer<AVFrame>, width: Int, height: Int, file: String) throws {
        let key = (frame.pointee.format, Int32(width), Int32(height))
        if scalerKey.map({ $0 != key }) ?? true {
            sws_freeContext(scaler)
            scaler = sws_getContext(key.1, key.2, AVPixelFormat(rawValue: key.0), key.1, key.2, AV_PIX_FMT_GRAY16LE, SWS_BILINEAR, nil, nil, nil)
            scalerKey = scaler == nil ? nil : key
        }
        guard let scaler else {
            let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: key.0)).map { String(cString: $0) } ?? "format \(key.0)"
            throw FormatError(.unsupported, file: file, problem: "swscale cannot convert its pixel format \(name) to grey",
                              fix: "re-encode it with a grey or YUV pixel format (ffmpeg -i IN -pix_fmt gray16le -c:v ffv1 OUT.mkv)")
        }
        if grey16.count != width * height * 2 { grey16 = [UInt8](repeating: 0, count: width * height * 2) }
        var source = frame.pointee.data
        var sourceStrides = frame.pointee.linesize
        let rows = grey16.withUnsafeMutableBytes { out -> Int32 in
            var destination: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil, nil]
            var destinationStrides: [Int32] = [Int32(width * 2), 0, 0, 0]
            return withUnsafePointer(to: &source) { data in
                withUnsafePointer(to: &sourceStrides) { strides in
                    data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
                        strides.withMemoryRebound(to: Int32.self, capacity: 8) { lines in
                            sws_scale(scaler, planes, lines, 0, Int32(height), &destination, &destinationStrides)
                        }
                    }
                }
            }
        }
        guard rows == Int32(height) else {
            throw FormatError(.corrupt, file: file, problem: "swscale converted \(rows) of \(height) rows of a frame to grey")
        }
    }
}
