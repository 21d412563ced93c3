/// libFuzzer target: Merlin `.mib` files (RAW `R64` at 1/6/12/24 bits, one chip or a 2×2 quad,
/// and counting mode): header parsing, the frame count, and decoding the first and last frames.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMIB(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFile.write(data, size, name: "input.mib")
    guard let file = try? MIBFile.open(path: path), file.frameCount > 0, file.pixelsPerFrame <= 1 << 22 else { return 0 }
    var counts = [UInt32](repeating: 0, count: file.pixelsPerFrame)
    _ = try? counts.withUnsafeMutableBufferPointer { try file.readFrames(0..<1, into: $0) }
    _ = try? file.readFrames((file.frameCount - 1)..<file.frameCount)
    return 0
}
