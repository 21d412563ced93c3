import CFFmpeg
import Foundation

// libFuzzer entry for the TEM frame readers (ops/fuzz.sh builds it with
// `-sanitize=fuzzer,address` together with the reader sources). The reader is chosen by
// SLIPLINE_FUZZ_READER; each input is opened and up to four frames are read. The file readers
// take paths, as in production, so their input is written to a file in /dev/shm; the video
// reader takes the bytes in memory (a custom AVIOContext, an 8 KiB probe), so an input costs
// one demuxer and one decoder, no file. Errors are the expected outcome for most inputs; a
// crash, a trap, a leak, a hang or an allocation over libFuzzer's limits is a bug.

private let reader = ProcessInfo.processInfo.environment["SLIPLINE_FUZZ_READER"] ?? "mrc"
private let scratch: String = {
    let ext = ["mrc": "mrc", "dm": "dm4", "ser": "ser", "tiff": "tif", "jpeg": "jpg", "png": "png", "video": "mkv"][reader] ?? "bin"
    return "/dev/shm/slipline-fuzz-\(getpid()).\(ext)"
}()

private func open(_ path: String) throws -> any FrameStack {
    switch reader {
    case "mrc": return try MRCStack(path: path)
    case "dm": return try DMStack(path: path)
    case "ser": return try SERStack(path: path)
    case "tiff": return try TIFFStack(path: path)
    case "jpeg": return try JPEGImage(path: path)
    case "png": return try PNGFrame(path: path)
    default: fatalError("SLIPLINE_FUZZ_READER=\(reader): expected mrc, dm, ser, tiff, jpeg, png or video")  // video: in memory, above
    }
}

/// libav* allocate with their own allocator, which libFuzzer's malloc limit sees only partly:
/// cap every single libav* allocation at 64 MiB (a damaged header asking for more fails there).
private let libavAllocationCap: Void = av_max_alloc(64 << 20)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = libavAllocationCap
    if reader == "video" {
        do {
            let stack = try VideoStack(bytes: UnsafeRawBufferPointer(start: data, count: size), name: "fuzz-input", probeBytes: videoProbeBytes)
            try readSome(stack)
        } catch {
            _ = "\(error)"
        }
        return 0
    }
    let fd = Glibc.open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot write \(scratch)") }
    var done = 0
    while done < size {
        let n = write(fd, data + done, size - done)
        guard n > 0 else { fatalError("cannot write \(scratch)") }
        done += n
    }
    close(fd)
    do {
        try readSome(open(scratch))
    } catch {
        _ = "\(error)"  // every error must render
    }
    return 0
}

/// What libavformat may read of a video input to find its streams (the inputs are a few KB).
private let videoProbeBytes = 8192

/// Reads up to four frames (a bounded amount of decoding per input) and the metadata.
private func readSome(_ stack: any FrameStack) throws {
    var pixels: [Float] = []
    for f in 0..<min(stack.frameCount, 4) { try stack.readFrame(f, into: &pixels) }
    _ = stack.metadata
}
