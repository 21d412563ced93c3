/// libFuzzer target: `.npz` archives (zip central directory, stored and deflated members,
/// .npy headers, complex element reads).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFile.write(data, size, name: "input.npz")
    guard let file = try? NPZFile.open(path: path) else { return 0 }
    for name in file.names.prefix(16) {
        guard let array = try? file.array(name), array.dtype.kind == .complex else { continue }
        let n = min(array.header.count, 4096)
        var values = [Float](repeating: 0, count: 2 * n)
        _ = try? values.withUnsafeMutableBufferPointer { try array.copyComplex(elements: 0..<n, interleavedInto: $0) }
        // A later slab, then back to the start: the inflater's restart path.
        if array.header.count > 2 * n, n > 0 {
            _ = try? values.withUnsafeMutableBufferPointer { try array.copyComplex(elements: n..<(2 * n), interleavedInto: $0) }
            _ = try? values.withUnsafeMutableBufferPointer { try array.copyComplex(elements: 0..<n, interleavedInto: $0) }
        }
    }
    return 0
}
