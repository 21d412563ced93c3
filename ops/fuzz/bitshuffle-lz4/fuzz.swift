/// libFuzzer target: one bitshuffle/LZ4 chunk as Dectris detectors store it. The first input
/// byte picks the element size (1, 2, 4, 8 bytes); the rest is the chunk, whose own header
/// sizes the output (up to 1 MiB).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBitshuffleLZ4(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 13 else { return 0 }
    let elementSize = [1, 2, 4, 8][Int(data[0] % 4)]
    let chunk = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let total = UInt64(bigEndian: chunk.loadUnaligned(as: UInt64.self))
    guard total <= 1 << 20 else { return 0 }
    var output = [UInt8](repeating: 0, count: Int(total))
    var scratch: [UInt8] = []
    _ = try? output.withUnsafeMutableBytes {
        try BitshuffleLZ4.decode(chunk, into: $0, elementSize: elementSize, scratch: &scratch, file: "fuzz", what: "chunk")
    }
    return 0
}
