/// libFuzzer target: EMPAD `.xml` descriptions (raw file name, scan) and `.raw` frame files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEMPAD(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = EMPADFile.attribute("filename", of: "raw_file", in: text)
    _ = EMPADFile.element("pix_x", in: text)
    _ = EMPADFile.scanFromName(text)
    // As an XML naming a sibling .raw (which may be missing), and as a .raw itself.
    let xml = FuzzFile.write(data, size, name: "input.xml")
    _ = try? EMPADFile.open(path: xml)
    let raw = FuzzFile.write(data, size, name: "scan_x1_y1.raw")
    if let file = try? EMPADFile.open(path: raw), file.frameCount > 0 {
        var frame = [UInt8](repeating: 0, count: 128 * 128 * 4)
        _ = try? frame.withUnsafeMutableBytes { try file.readFrames(0..<1, into: $0) }
    }
    return 0
}
