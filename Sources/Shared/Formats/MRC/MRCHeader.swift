/// The 1024-byte header of an MRC/MRCS file (MRC2014, as written by mrcfile, IMOD, RELION,
/// SerialEM): size, mode, cell, extended-header length and byte order. Read and checked
/// without touching the data.
public struct MRCHeader: Sendable, Equatable {
    public var nx: Int, ny: Int, nz: Int
    public var mode: Int
    /// Sampling along x (`mx`) and cell length along x in ångström (`cella.x`).
    public var mx: Int
    public var cellX: Double
    /// Bytes of extended header after the main header.
    public var extendedHeaderBytes: Int
    public var bigEndian: Bool

    /// Largest frame side accepted (a corrupt header must not make the reader allocate).
    public static let maxSide = 65_536

    public var sampleType: SampleType {
        switch mode {
        case 0: .int8
        case 1: .int16
        case 2: .float32
        case 6: .uint16
        case 12: .float16
        default: .uint4  // 101
        }
    }

    public var dataOffset: Int { 1024 + extendedHeaderBytes }
    public var frameBytes: Int { sampleType.rowBytes(width: nx) * ny }

    /// Pixel size from the cell: `cella.x / mx` ångström.
    public var pixelSizeNm: Double? {
        guard mx > 0, cellX.isFinite, cellX > 0 else { return nil }
        return cellX / Double(mx) / 10
    }

    /// Parses the first 1024 bytes of `file` (`bytes`); errors name `file`.
    public static func parse(_ bytes: [UInt8], file: String) throws -> MRCHeader {
        guard bytes.count >= 1024 else {
            throw FormatError(.truncated, file: file, problem: "an MRC header is 1024 bytes, the file has \(bytes.count)")
        }
        // machst: 0x44 0x4? little endian, 0x11 0x11 big endian. Old files leave it zero:
        // then the byte order that gives a valid mode wins.
        var big: Bool
        switch bytes[212] {
        case 0x44: big = false
        case 0x11: big = true
        default: big = !validMode(int32(bytes, 12, big: false)) && validMode(int32(bytes, 12, big: true))
        }
        func i(_ offset: Int) -> Int { Int(int32(bytes, offset, big: big)) }
        func f(_ offset: Int) -> Double {
            let raw = UInt32(truncatingIfNeeded: int32(bytes, offset, big: big))
            return Double(Float(bitPattern: raw))
        }
        let header = MRCHeader(nx: i(0), ny: i(4), nz: i(8), mode: i(12), mx: i(28), cellX: f(40),
                               extendedHeaderBytes: i(92), bigEndian: big)
        guard validMode(Int32(header.mode)) else {
            throw FormatError(.unsupported, file: file,
                              problem: "MRC mode \(header.mode) is not an image mode Slipline reads (0, 1, 2, 6, 12, 101; 3 and 4 are complex)",
                              fix: "convert the stack to mode 2 (float32), e.g. with mrcfile or IMOD's newstack -mode 2")
        }
        guard (1...maxSide).contains(header.nx), (1...maxSide).contains(header.ny), header.nz >= 1, header.nz <= 100_000_000 else {
            throw FormatError(.corrupt, file: file,
                              problem: "MRC header declares \(header.nx)×\(header.ny)×\(header.nz) voxels (each side 1…\(maxSide), nz ≥ 1)",
                              fix: "this is not a valid MRC file, or its header is damaged")
        }
        guard header.extendedHeaderBytes >= 0, header.extendedHeaderBytes <= 1 << 40 else {
            throw FormatError(.corrupt, file: file, problem: "MRC header declares an extended header of \(header.extendedHeaderBytes) bytes")
        }
        return header
    }

    private static func validMode(_ mode: Int32) -> Bool { [0, 1, 2, 6, 12, 101].contains(mode) }

    static func int32(_ b: [UInt8], _ o: Int, big: Bool) -> Int32 {
        let v = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
        return Int32(bitPattern: big ? v.byteSwapped : v)
    }
}
