/// libFuzzer target: 4D (4D-STEM) DigitalMicrograph files through `DMCube`: the tag tree, the
/// 4D image's dimensions, type and calibration, and gathering the first and last frames from
/// the scan-fastest (Gatan) or detector-fastest layout.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDM4D(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFile.write(data, size, name: "input.dm4")
    guard let cube = try? DMCube(path: path), cube.frameCount > 0 else { return 0 }
    _ = cube.summary
    // Bounded: a frame at most 16 Mi samples, at most 64 Mi bytes read per input.
    let frameBytes = cube.framePixels * cube.sampleType.byteCount
    guard cube.framePixels <= 1 << 24, frameBytes <= 1 << 26 else { return 0 }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
    defer { buffer.deallocate() }
    _ = try? cube.readFrames(0..<1, into: buffer)
    _ = try? cube.readFrames((cube.frameCount - 1)..<cube.frameCount, into: buffer)
    return 0
}
