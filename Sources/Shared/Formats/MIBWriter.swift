#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes Merlin-style `.mib` files (counting mode, single chip layout) and their `.hdr`
/// companion, for tests and synthetic datasets.
public enum MIBWriter {
    /// Writes `pixels` (frames concatenated, each `height × width` row-major) to `path` as
    /// big-endian `pixelType`, and — when `scan` is given or `writeHeaderFile` is true — a
    /// `.hdr` next to it that declares the scan shape through line triggering.
    public static func write(
        path: String, width: Int, height: Int, pixelType: MIBPixelType, pixels: [UInt32],
        scan: MIBScanShape? = nil, writeHeaderFile: Bool = true
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

        guard let file = fopen(path, "wb") else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: strerror(errno)))
        }
        var ok = true
        var body = [UInt8](repeating: 0, count: perFrame * pixelType.byteSize)
        for frame in 0..<frames {
            let header = MIBFrameHeader(
                sequenceNumber: frame + 1, headerLength: 384, chipCount: 1, width: width, height: height,
                pixelType: pixelType, sensorLayout: "1x1")
            let headerBytes = header.encoded()
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
            ok = ok && fwrite(headerBytes, 1, headerBytes.count, file) == headerBytes.count
            ok = ok && fwrite(body, 1, body.count, file) == body.count
            if !ok { break }
        }
        let closed = fclose(file) == 0
        guard ok && closed else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw FormatError(.writeFailed, .write, file: path, problem: reason, fix: "check free disk space")
        }
        if writeHeaderFile {
            try writeHeader(path: MIBFile.companionPath(path), frames: frames, framesPerTrigger: scan?.width ?? 1, pixelType: pixelType)
        }
    }

    private static func writeHeader(path: String, frames: Int, framesPerTrigger: Int, pixelType: MIBPixelType) throws {
        let lines = [
            "HDR,\t",
            "Time and Date Stamp (day, mnth, yr, hr, min, s):\t01/01/2024 00:00:00",
            "Chip ID:\tW000_X00,-,-,-",
            "Chip Type (Medipix 3.0, Medipix 3.1, Medipix 3RX):\tMedipix 3RX",
            "Assembly Size (NX1, 2X2):\t   1x1",
            "Chip Mode  (SPM, CSM, CM, CSCM):\tSPM",
            "Counter Depth (number):\t\(pixelType.counterDepth)",
            "Gain:\tSLGM",
            "Active Counters:\tAlternating",
            "Thresholds (keV):\t1.000000E+1,5.110000E+2,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0,0.000000E+0",
            "Bias Voltage (Volts):\t120",
            "Frames in Acquisition (Number):\t\(frames)",
            "Frames per Trigger (Number):\t\(framesPerTrigger)",
            "Trigger Start (Positive, Negative, Internal):\tRising Edge",
            "Trigger Stop (Positive, Negative, Internal):\tRising Edge",
            "Sensor Layout:\t   1x1",
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
