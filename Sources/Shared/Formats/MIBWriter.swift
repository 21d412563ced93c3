#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes Merlin-style `.mib` files (counting mode or RAW; one chip or a 2×2 quad) and their
/// `.hdr` companion, for tests, fuzz seeds and synthetic datasets.
public enum MIBWriter {
    /// Writes `pixels` (frames concatenated, each `height × width` row-major) to `path` as
    /// big-endian `pixelType`, and — when `scan` is given or `writeHeaderFile` is true — a
    /// `.hdr` next to it that declares the scan shape through line triggering. `quad` writes
    /// the headers of a 2×2 quad of chips (768-byte headers, layout `2x2`; the image is
    /// stored assembled, as Merlin does in counting mode).
    public static func write(
        path: String, width: Int, height: Int, pixelType: MIBPixelType, pixels: [UInt32],
        scan: MIBScanShape? = nil, writeHeaderFile: Bool = true, quad: Bool = false
    ) throws {
        let perFrame = width * height
        guard width > 0, height > 0, pixels.count % perFrame == 0 else {
            throw FormatError(
                .invalidArgument, .write, file: path,
                problem: "\(pixels.count) pixels is not a whole number of \(width)×\(height) frames")
        }
        let frames = pixels.count / perFrame
        if let scan, scan.frameCount != frames {
            throw FormatError(.invalidArgument, .write, file: path, problem: "scan \(scan) needs \(scan.frameCount) frames, \(frames) given")
        }
        let limit: UInt32 =
            switch pixelType {
            case .u8: UInt32(UInt8.max)
            case .u16: UInt32(UInt16.max)
            case .u32: UInt32.max
            }
        if let bad = pixels.first(where: { $0 > limit }) {
            throw FormatError(.invalidArgument, .write, file: path, problem: "value \(bad) does not fit \(pixelType.rawValue)")
        }

        let header = MIBFrameHeader(
            sequenceNumber: 1, headerLength: quad ? 768 : 384, chipCount: quad ? 4 : 1, width: width, height: height,
            pixelType: pixelType, sensorLayout: quad ? "2x2" : "1x1")
        var body = [UInt8](repeating: 0, count: perFrame * pixelType.byteSize)
        try writeFrames(path: path, header: header, frames: frames) { frame in
            for i in 0..<perFrame {
                let value = pixels[frame * perFrame + i]
                switch pixelType {
                case .u8:
                    body[i] = UInt8(value)
                case .u16:
                    body[2 * i] = UInt8(value >> 8)
                    body[2 * i + 1] = UInt8(value & 0xFF)
                case .u32:
                    for b in 0..<4 { body[4 * i + b] = UInt8((value >> (8 * (3 - UInt32(b)))) & 0xFF) }
                }
            }
            return body
        }
        if writeHeaderFile {
            try writeHeader(path: MIBFile.companionPath(path), frames: frames, framesPerTrigger: scan?.width ?? 1,
                            counterDepth: pixelType.counterDepth, quad: quad)
        }
    }

    /// Writes `pixels` (frames of `side × side` counts, or `2side × 2side` for a quad) as
    /// Merlin RAW-mode frames (`R64`) of `counterDepth` 1, 6, 12 or 24 bits, and the `.hdr`
    /// unless `writeHeaderFile` is false. Quads of 24-bit counters are not written (not read).
    public static func writeRAW(
        path: String, side: Int, counterDepth: Int, quad: Bool, pixels: [UInt32],
        scan: MIBScanShape? = nil, writeHeaderFile: Bool = true
    ) throws {
        let storedWidth = quad ? 4 * side : (counterDepth == 24 ? 2 * side : side)
        let raw = try MIBRawLayout(counterDepth: counterDepth, chips: quad ? 4 : 1, sensorLayout: quad ? "2x2" : "1x1",
                                   storedWidth: storedWidth, storedHeight: side, path: path)
        let perFrame = raw.width * raw.height
        guard pixels.count % perFrame == 0 else {
            throw FormatError(.invalidArgument, .write, file: path, problem: "\(pixels.count) counts is not a whole number of \(raw.width)×\(raw.height) frames")
        }
        let frames = pixels.count / perFrame
        if let scan, scan.frameCount != frames {
            throw FormatError(.invalidArgument, .write, file: path, problem: "scan \(scan) needs \(scan.frameCount) frames, \(frames) given")
        }
        if let bad = pixels.first(where: { $0 >> UInt32(counterDepth) != 0 }) {
            throw FormatError(.invalidArgument, .write, file: path, problem: "count \(bad) does not fit \(counterDepth) bits")
        }
        let header = MIBFrameHeader(
            sequenceNumber: 1, headerLength: quad ? 768 : 384, chipCount: quad ? 4 : 1, width: storedWidth, height: side,
            pixelType: .u8, sensorLayout: quad ? "2x2" : "1x1", raw: raw)
        try writeFrames(path: path, header: header, frames: frames) { frame in
            raw.encode(pixels[(frame * perFrame)..<((frame + 1) * perFrame)])
        }
        if writeHeaderFile {
            try writeHeader(path: MIBFile.companionPath(path), frames: frames, framesPerTrigger: scan?.width ?? 1,
                            counterDepth: counterDepth, quad: quad)
        }
    }

    /// Writes `frames` frames: `header` with its sequence number set, then `body(frame)`.
    private static func writeFrames(path: String, header: MIBFrameHeader, frames: Int, body: (Int) -> [UInt8]) throws {
        guard let file = fopen(path, "wb") else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: strerror(errno)))
        }
        var ok = true
        var header = header
        for frame in 0..<frames {
            header.sequenceNumber = frame + 1
            let headerBytes = header.encoded()
            let bytes = body(frame)
            ok = ok && fwrite(headerBytes, 1, headerBytes.count, file) == headerBytes.count
            ok = ok && fwrite(bytes, 1, bytes.count, file) == bytes.count
            if !ok { break }
        }
        let closed = fclose(file) == 0
        guard ok && closed else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw FormatError(.writeFailed, .write, file: path, problem: reason, fix: "check free disk space")
        }
    }

    private static func writeHeader(path: String, frames: Int, framesPerTrigger: Int, counterDepth: Int, quad: Bool) throws {
        let lines = [
            "HDR,\t",
            "Time and Date Stamp (day, mnth, yr, hr, min, s):\t01/01/2024 00:00:00",
            "Chip ID:\tW000_X00,-,-,-",
            "Chip Type (Medipix 3.0, Medipix 3.1, Medipix 3RX):\tMedipix 3RX",
            "Assembly Size (NX1, 2X2):\t   \(quad ? "2x2" : "1x1")",
            "Chip Mode  (SPM, CSM, CM, CSCM):\tSPM",
            "Counter Depth (number):\t\(counterDepth)",
            "Gain:\tSLGM",
            "Active Counters:\tAlternating",
            "Thresholds (keV):\t1.000000E+1,5.110000E+2,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0",
            "Bias Voltage (Volts):\t120",
            "Frames in Acquisition (Number):\t\(frames)",
            "Frames per Trigger (Number):\t\(framesPerTrigger)",
            "Trigger Start (Positive, Negative, Internal):\tRising Edge",
            "Trigger Stop (Positive, Negative, Internal):\tRising Edge",
            "Sensor Layout:\t   \(quad ? "2x2" : "1x1")",
            "Software Version:\tslipline",
            "End\t",
        ]
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        guard let file = fopen(path, "wb") else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: strerror(errno)))
        }
        let ok = fwrite(text, 1, text.count, file) == text.count
        guard fclose(file) == 0 && ok else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: strerror(errno)))
        }
    }
}
