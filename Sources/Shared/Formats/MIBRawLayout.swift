import Foundation

/// How a Merlin RAW-mode (`R64`) frame is laid out, and its decoding into counts.
///
/// RAW frames carry the chips' readout as it comes off the detector, in 64-bit big-endian
/// words: pixel `p` of a word sits in bits `p·b ..< (p+1)·b`, where `b` is the stored bits per
/// pixel (1 for counter depth 1, 8 for 6, 16 for 12; 24-bit frames hold two 12-bit halves, the
/// most significant first, and declare twice the width). A quad (`2x2`, four chips of side
/// `s`) stores `s` rows of `4s` pixels: each row is the same row of chips 4, 3, 2, 1, and chips
/// 3 and 4 (the bottom half) are rotated by 180°. This is the layout of the public readers
/// (LiberTEM) and was checked against Merlin's RAW and counting-mode files of one acquisition.
public struct MIBRawLayout: Sendable, Equatable {
    /// Counter depth: 1, 6, 12 or 24 bits.
    public let counterDepth: Int
    /// Whether the frame is a 2×2 quad of square chips (else one chip or a row of chips
    /// stored as one image).
    public let quad: Bool
    /// Width and height the header declares (the stored image before unscrambling).
    public let storedWidth: Int, storedHeight: Int

    /// Bits per pixel in the words: 1, 8 or 16.
    public var storedBits: Int { counterDepth == 1 ? 1 : counterDepth == 6 ? 8 : 16 }
    /// Detector size after decoding.
    public var width: Int { quad ? 2 * storedHeight : (counterDepth == 24 ? storedWidth / 2 : storedWidth) }
    public var height: Int { quad ? 2 * storedHeight : storedHeight }
    /// Bytes of one frame's pixel data.
    public var payloadBytes: Int { storedWidth * storedHeight * storedBits / 8 }

    /// Checks that the header describes a RAW layout this decoder knows; the error says why not.
    public init(counterDepth: Int, chips: Int, sensorLayout: String, storedWidth: Int, storedHeight: Int, path: String) throws {
        guard [1, 6, 12, 24].contains(counterDepth) else {
            throw FormatError(.unsupported, file: path,
                              problem: ".mib RAW frames declare counter depth \(counterDepth); 1, 6, 12 and 24 are read",
                              fix: "check that the last field of the frame header is the counter depth")
        }
        let layout = sensorLayout.uppercased().replacingOccurrences(of: "G", with: "").trimmingCharacters(in: .whitespaces)
        let quad = chips == 4 && layout == "2X2"
        guard chips == 1 || quad else {
            throw FormatError(.unsupported, file: path,
                              problem: ".mib RAW frames from \(chips) chips in layout '\(sensorLayout)' are not supported (one chip and the 2x2 quad are)",
                              fix: "re-save the acquisition in counting mode (U08/U16/U32)")
        }
        if quad {
            guard storedWidth == 4 * storedHeight else {
                throw FormatError(.corrupt, file: path,
                                  problem: ".mib RAW quad frames declare \(storedWidth)×\(storedHeight) pixels; a 2x2 quad of chips stores rows of 4 × the chip side")
            }
            guard counterDepth != 24 else {
                throw FormatError(.unsupported, file: path,
                                  problem: ".mib RAW quad frames with 24-bit counters are not supported (their two 12-bit halves' chip order is undocumented)",
                                  fix: "re-save the acquisition in counting mode (U32)")
            }
        }
        let bits = counterDepth == 1 ? 1 : counterDepth == 6 ? 8 : 16
        let segment = quad ? storedHeight : (counterDepth == 24 ? storedWidth / 2 : storedWidth)
        guard (segment * bits) % 64 == 0, counterDepth != 24 || storedWidth % 2 == 0 else {
            throw FormatError(.corrupt, file: path,
                              problem: ".mib RAW frames of \(storedWidth)×\(storedHeight) pixels at \(counterDepth) bits do not fill whole 64-bit words per row")
        }
        self.counterDepth = counterDepth
        self.quad = quad
        self.storedWidth = storedWidth
        self.storedHeight = storedHeight
    }

    /// Decodes one frame's `payloadBytes` at `source` into `width × height` counts (row-major,
    /// rows in the detector's order: the quad's bottom chips turned upright), with the SIMD
    /// unpacker (``MIBRawUnpack``); ``decodeNaive(_:into:)`` is its reference.
    public func decode(_ source: UnsafeRawPointer, into out: UnsafeMutablePointer<UInt32>) {
        let bits = storedBits
        if counterDepth == 24 {
            // Two 12-bit images: the high 12 bits, then the low 12 bits.
            let n = width * height
            MIBRawUnpack.unpack(source, words: n / 4, bits: 16, into: out, shift: 12)
            MIBRawUnpack.unpack(source + n * 2, words: n / 4, bits: 16, into: out, accumulate: true)
            return
        }
        guard quad else {
            MIBRawUnpack.unpack(source, words: payloadBytes / 8, bits: bits, into: out)
            return
        }
        // A stored row is the same row of chips 4, 3, 2, 1, each a whole number of words
        // (checked at init): chips 1, 2 go upright to the top half; chips 3, 4 are unpacked to a
        // scratch row and copied reversed to the bottom half's mirrored row.
        let side = storedHeight, outWidth = 2 * side, segmentWords = side * bits / 64
        let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: side)
        defer { scratch.deallocate() }
        for y in 0..<side {
            let row = source + y * 4 * segmentWords * 8
            let top = out + y * outWidth, bottom = out + (outWidth - 1 - y) * outWidth
            MIBRawUnpack.unpack(row + 3 * segmentWords * 8, words: segmentWords, bits: bits, into: top)
            MIBRawUnpack.unpack(row + 2 * segmentWords * 8, words: segmentWords, bits: bits, into: top + side)
            MIBRawUnpack.unpack(row + segmentWords * 8, words: segmentWords, bits: bits, into: scratch)
            Self.copyReversed(scratch, side, to: bottom)
            MIBRawUnpack.unpack(row, words: segmentWords, bits: bits, into: scratch)
            Self.copyReversed(scratch, side, to: bottom + side)
        }
    }

    /// `dst[k] = src[n − 1 − k]`: a plain loop LLVM vectorises with lane reversals (the generic
    /// `MutableCollection.reverse()` on a buffer slice was most of the quad's decoding time).
    @inline(__always)
    private static func copyReversed(_ src: UnsafePointer<UInt32>, _ n: Int, to dst: UnsafeMutablePointer<UInt32>) {
        for k in 0..<n { dst[k] = src[n - 1 - k] }
    }

    /// The reference decoding: pixel by pixel through the documented layout (tests and
    /// `ctl bench formats` compare ``decode(_:into:)`` with it).
    public func decodeNaive(_ source: UnsafeRawPointer, into out: UnsafeMutablePointer<UInt32>) {
        if counterDepth == 24 {
            // Two 12-bit images: the high 12 bits, then the low 12 bits.
            let n = width * height
            Self.unpack(source, words: n * 16 / 64, bits: 16) { i, v in out[i] = v << 12 }
            Self.unpack(source + n * 2, words: n * 16 / 64, bits: 16) { i, v in out[i] |= v }
            return
        }
        guard quad else {
            Self.unpack(source, words: payloadBytes / 8, bits: storedBits) { i, v in out[i] = v }
            return
        }
        let side = storedHeight, rowLength = 4 * side, outWidth = 2 * side
        Self.unpack(source, words: payloadBytes / 8, bits: storedBits) { i, v in
            let (y, x) = i.quotientAndRemainder(dividingBy: rowLength)
            let (segment, cx) = x.quotientAndRemainder(dividingBy: side)
            // Segments 3, 2 are chips 1, 2 (top, upright); 1, 0 are chips 3, 4 (bottom, rotated).
            switch segment {
            case 3: out[y * outWidth + cx] = v
            case 2: out[y * outWidth + side + cx] = v
            case 1: out[(outWidth - 1 - y) * outWidth + (side - 1 - cx)] = v
            default: out[(outWidth - 1 - y) * outWidth + (outWidth - 1 - cx)] = v
            }
        }
    }

    /// Calls `store(pixelIndex, value)` for every pixel of `words` big-endian 64-bit words.
    @inline(__always)
    private static func unpack(_ source: UnsafeRawPointer, words: Int, bits: Int, _ store: (Int, UInt32) -> Void) {
        let perWord = 64 / bits
        let mask: UInt64 = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
        for w in 0..<words {
            let word = UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 8 * w, as: UInt64.self))
            let base = w * perWord
            for p in 0..<perWord {
                store(base + p, UInt32(truncatingIfNeeded: (word >> UInt64(p * bits)) & mask))
            }
        }
    }

    /// Encodes `width × height` counts (the inverse of ``decode(_:into:)``), for the writer.
    public func encode(_ counts: ArraySlice<UInt32>) -> [UInt8] {
        let n = width * height
        precondition(counts.count == n, "MIBRawLayout.encode: \(counts.count) counts for a \(width)×\(height) frame")
        let first = counts.startIndex
        // The value stored at each position of the stored image, in stored order.
        var stored = [UInt32](repeating: 0, count: counterDepth == 24 ? 2 * n : n)
        if counterDepth == 24 {
            for i in 0..<n {
                stored[i] = (counts[first + i] >> 12) & 0xFFF
                stored[n + i] = counts[first + i] & 0xFFF
            }
        } else if quad {
            let side = storedHeight, rowLength = 4 * side, outWidth = 2 * side
            for i in 0..<n {
                let (y, x) = i.quotientAndRemainder(dividingBy: rowLength)
                let (segment, cx) = x.quotientAndRemainder(dividingBy: side)
                let target: Int
                switch segment {
                case 3: target = y * outWidth + cx
                case 2: target = y * outWidth + side + cx
                case 1: target = (outWidth - 1 - y) * outWidth + (side - 1 - cx)
                default: target = (outWidth - 1 - y) * outWidth + (outWidth - 1 - cx)
                }
                stored[i] = counts[first + target]
            }
        } else {
            for i in 0..<n { stored[i] = counts[first + i] }
        }
        let bits = storedBits, perWord = 64 / bits
        var bytes = [UInt8](repeating: 0, count: stored.count * bits / 8)
        for w in 0..<(stored.count / perWord) {
            var word: UInt64 = 0
            for p in 0..<perWord { word |= UInt64(stored[w * perWord + p]) << UInt64(p * bits) }
            for b in 0..<8 { bytes[8 * w + b] = UInt8(truncatingIfNeeded: word >> UInt64(8 * (7 - b))) }
        }
        return bytes
    }
}
