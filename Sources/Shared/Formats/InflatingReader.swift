import CZlib

/// Random access to what a deflate stream decodes to, without holding it all: reads go
/// forward through one zlib stream, and a read before the current position starts the stream
/// again. Shards read their slabs front to back, so each decodes the stream at most once.
///
/// Used for `.npz` members written by `np.savez_compressed` (raw deflate) and MATLAB v5
/// compressed elements (zlib streams). The compressed bytes must outlive the reader.
final class InflatingReader {
    enum Framing {
        /// Raw deflate (zip members).
        case raw
        /// A zlib stream with header and Adler-32 check (MATLAB `miCOMPRESSED`).
        case zlib

        var windowBits: Int32 { self == .raw ? -15 : 15 }
    }

    private let compressed: UnsafeRawBufferPointer
    private let framing: Framing
    private let file: String
    private let what: String
    private var stream = z_stream()
    private var started = false
    private var finished = false
    /// Decoded bytes produced so far (the stream's position).
    private(set) var position = 0
    private var discard = [UInt8](repeating: 0, count: 1 << 16)

    /// `what` names the stream in messages (e.g. "member obj.npy").
    init(compressed: UnsafeRawBufferPointer, framing: Framing, file: String, what: String) {
        self.compressed = compressed
        self.framing = framing
        self.file = file
        self.what = what
    }

    deinit { if started { inflateEnd(&stream) } }

    /// Fills `buffer` with the decoded bytes at `offset...`; throws if the stream ends first.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        if offset < position || !started { try restart() }
        while position < offset {
            let skip = min(offset - position, discard.count)
            try discard.withUnsafeMutableBytes { try produce(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<skip])) }
        }
        try produce(into: buffer)
    }

    /// Decodes exactly `buffer.count` bytes at the current position.
    private func produce(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var done = 0
        while done < buffer.count {
            guard !finished else {
                throw FormatError(.truncated, file: file,
                                  problem: "\(what) decodes to \(position) bytes, fewer than the \(position + buffer.count - done) its header declares")
            }
            // zlib counts in 32 bits: feed at most 1 GiB per call.
            let want = min(buffer.count - done, 1 << 30)
            stream.next_out = (base + done).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(want)
            if stream.avail_in == 0 {
                let used = compressed.count - remainingInput
                let chunk = min(remainingInput, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: (compressed.baseAddress.map { $0 + used } ?? UnsafeRawPointer(bitPattern: 1)!)
                    .assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(chunk)
                remainingInput -= chunk
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            let produced = want - Int(stream.avail_out)
            done += produced
            position += produced
            switch status {
            case Z_OK: break
            case Z_STREAM_END: finished = true
            case Z_BUF_ERROR where remainingInput == 0 && stream.avail_in == 0:
                throw FormatError(.truncated, file: file, problem: "\(what): the compressed data ends after \(position) decoded bytes")
            case Z_BUF_ERROR: break
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw FormatError(.corrupt, file: file, problem: "\(what): the compressed data is corrupt (\(detail)) after \(position) decoded bytes")
            }
        }
    }

    private var remainingInput = 0

    private func restart() throws {
        if started { inflateEnd(&stream) }
        stream = z_stream()
        let status = slipline_inflate_init2(&stream, framing.windowBits)
        guard status == Z_OK else {
            throw FormatError(.unreadable, file: file, problem: "\(what): zlib could not start (error \(status))")
        }
        started = true
        finished = false
        position = 0
        remainingInput = compressed.count
        stream.avail_in = 0
    }
}
