/// libFuzzer target: MATLAB v5 `.mat` files (element tags, small elements, zlib-compressed
/// variables, array headers, real and imaginary parts).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMAT(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFile.write(data, size, name: "input.mat")
    guard let file = try? MATFile.open(path: path) else { return 0 }
    for variable in file.variables.prefix(16) {
        let n = min(variable.count, 4096)
        _ = try? variable.readSplit(elements: 0..<n)
        if variable.count > 2 * n, n > 0 {
            _ = try? variable.readSplit(elements: n..<(2 * n))
            _ = try? variable.readSplit(elements: 0..<n)
        }
    }
    return 0
}
