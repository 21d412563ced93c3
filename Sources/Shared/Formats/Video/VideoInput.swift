import CFFmpeg
import Foundation

/// Where a video's bytes come from: a file (what `ctl run` reads), or bytes already in memory
/// (the fuzz target, which must not spend its time on temporary files and file opens).
enum VideoInput {
    /// A file path; libavformat's file protocol reads it.
    case file(String)
    /// An in-memory copy, demuxed through a custom `AVIOContext`; `name` appears in errors.
    case memory(VideoBytes, name: String)

    /// What errors call the input.
    var name: String {
        switch self {
        case .file(let path): return path
        case .memory(_, let name): return name
        }
    }
}

/// An owned, immutable copy of a video's bytes. Each ``VideoDecoder`` opened on it keeps its own
/// cursor (``VideoMemoryCursor``), so a reopen after a failed seek starts from byte 0.
final class VideoBytes {
    let base: UnsafeMutableRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) {
        base = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        if let source = bytes.baseAddress, bytes.count > 0 { base.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
        count = bytes.count
    }

    /// The number of bytes (the allocation holds at least one, so an empty input has an address).
    let count: Int

    deinit { base.deallocate() }
}

/// One decoder's read position over ``VideoBytes`` and the `AVIOContext` libavformat reads
/// through (the callbacks are `slipline_av_memory_read`/`_seek` in the CFFmpeg shim).
final class VideoMemoryCursor {
    /// The bytes stay alive while the cursor does.
    private let bytes: VideoBytes
    private let state = UnsafeMutablePointer<slipline_av_memory>.allocate(capacity: 1)
    private(set) var io: UnsafeMutablePointer<AVIOContext>?

    /// libavformat's read buffer: small, as the inputs this serves are small or already in memory.
    static let bufferBytes: Int32 = 4096

    init(_ bytes: VideoBytes, name: String) throws {
        self.bytes = bytes
        state.initialize(to: slipline_av_memory(data: UnsafePointer(bytes.base.baseAddress!.assumingMemoryBound(to: UInt8.self)),
                                                size: Int64(bytes.count), position: 0))
        io = slipline_av_memory_io(state, Self.bufferBytes)
        guard io != nil else {
            state.deallocate()
            throw FormatError(.tooLarge, file: name, problem: "out of memory allocating its in-memory reader")
        }
    }

    deinit {
        slipline_av_memory_io_free(&io)
        state.deallocate()
    }
}
