/// libFuzzer target: EMPAD `.xml` descriptions (raw file name, scan) and `.raw` frame files.
///
/// A `.raw` opens only at a whole number of 66,560-byte frames, so mutating raw files directly
/// meant 66 KB inputs (80 executions/s). Instead the input is small: it is the XML as is, and
/// the raw file is the input tiled to 0, 1 or 2 whole frames (its first byte chooses; 3 keeps
/// it as is, to reach the size check), so every input reaches the frame-reading code.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEMPAD(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = EMPADFile.attribute("filename", of: "raw_file", in: text)
    _ = EMPADFile.element("pix_x", in: text)
    _ = EMPADFile.scanFromName(text)
    // As an XML naming a sibling .raw (which may be missing).
    let xml = FuzzFile.write(data, size, name: "input.xml")
    _ = try? EMPADFile.open(path: xml)
    // As a .raw, beside that XML.
    let frames = size == 0 ? 3 : Int(data[0] % 4)
    let raw: String
    if frames == 3 || size == 0 {
        raw = FuzzFile.write(data, size, name: "scan_x1_y1.raw")
    } else {
        var bytes = [UInt8](repeating: 0, count: frames * EMPADFile.frameBytes)
        bytes.withUnsafeMutableBufferPointer { out in
            var at = 0
            while at < out.count {
                let n = min(size, out.count - at)
                (out.baseAddress! + at).update(from: data, count: n)
                at += n
            }
        }
        raw = bytes.withUnsafeBufferPointer { FuzzFile.write($0.baseAddress!, $0.count, name: "scan_x1_y1.raw") }
    }
    if let file = try? EMPADFile.open(path: raw), file.frameCount > 0 {
        var frame = [UInt8](repeating: 0, count: 128 * 128 * 4)
        _ = try? frame.withUnsafeMutableBytes { try file.readFrames(0..<1, into: $0) }
        _ = try? frame.withUnsafeMutableBytes { try file.readFrames((file.frameCount - 1)..<file.frameCount, into: $0) }
    }
    return 0
}
