import Foundation

/// The frames of a Dectris EIGER/Arina acquisition: a master file whose `/entry/data/data_NNNNNN`
/// links point to data files (each a 3D stack `/entry/data/data`, frames × det_y × det_x), or
/// one such data file. Chunks compressed by the bitshuffle/LZ4 filter are read raw and decoded
/// here (``BitshuffleLZ4``); other chunks go through libhdf5. Frames are numbered across the
/// data files in order; one decoded chunk is kept for the next read.
final class DectrisFrames: @unchecked Sendable {
    struct Part {
        var dataset: HDF5Dataset
        /// Index of its first frame among all frames.
        var firstFrame: Int
        var frames: Int
        /// Frames per stored chunk.
        var chunkFrames: Int
        var bitshuffleLZ4: Bool
    }

    let path: String
    let parts: [Part]
    let detRows: Int, detCols: Int
    let elementType: HDF5ElementType
    var frameCount: Int { parts.last.map { $0.firstFrame + $0.frames } ?? 0 }
    private var raw: [UInt8] = []
    private var scratch: [UInt8] = []
    private var cached: (part: Int, chunk: Int, bytes: [UInt8])?

    /// The frame datasets of `file` when it is a Dectris master or data file, else nil.
    static func framePaths(in file: HDF5File) -> [String]? {
        var paths: [String] = []
        while paths.count < 100_000, file.containsDataset(String(format: "/entry/data/data_%06d", paths.count + 1)) {
            paths.append(String(format: "/entry/data/data_%06d", paths.count + 1))
        }
        if !paths.isEmpty { return paths }
        return file.containsDataset("/entry/data/data") ? ["/entry/data/data"] : nil
    }

    init(file: HDF5File, paths: [String]) throws {
        path = file.path
        var parts: [Part] = []
        var shape: [Int]?, type: HDF5ElementType?
        for name in paths {
            let ds = try file.dataset(name)
            guard ds.rank == 3, shape == nil || Array(ds.shape.dropFirst()) == shape!, type == nil || ds.elementType == type! else {
                throw FormatError(.wrongShape, file: path, dataset: name,
                                  problem: "has shape \(ds.shape) of \(ds.elementType); Dectris frame stacks are 3D (frames, det_y, det_x)"
                                    + (shape.map { " like the first one's \($0) of \(type!)" } ?? ""))
            }
            (shape, type) = (Array(ds.shape.dropFirst()), ds.elementType)
            let filters = try ds.filters()
            let bitshuffle = filters.first { $0.id == BitshuffleLZ4.filterID }
            if let bitshuffle {
                guard bitshuffle.parameters.count >= 5, bitshuffle.parameters[4] == 2, filters.count == 1 else {
                    throw FormatError(.unsupported, file: path, dataset: name,
                                      problem: "uses bitshuffle with parameters \(bitshuffle.parameters)\(filters.count > 1 ? " and other filters" : ""); bitshuffle with LZ4 (compression 2) is read",
                                      fix: "re-save with bitshuffle/LZ4 (hdf5plugin.Bitshuffle(cname='lz4')) or gzip")
                }
                guard let chunks = ds.chunkShape, chunks[1] == ds.shape[1], chunks[2] == ds.shape[2] else {
                    throw FormatError(.unsupported, file: path, dataset: name,
                                      problem: "has chunks \(ds.chunkShape ?? []) that split frames of \(ds.shape[1])×\(ds.shape[2]); whole-frame chunks are read")
                }
            }
            parts.append(Part(dataset: ds, firstFrame: parts.last.map { $0.firstFrame + $0.frames } ?? 0, frames: ds.shape[0],
                              chunkFrames: ds.chunkShape?[0] ?? ds.shape[0], bitshuffleLZ4: bitshuffle != nil))
        }
        guard let shape, let type, !parts.isEmpty else {
            throw FormatError(.missing, file: path, problem: "holds no Dectris frame stack (/entry/data/data_000001 or /entry/data/data)")
        }
        self.parts = parts
        (detRows, detCols, elementType) = (shape[0], shape[1], type)
    }

    /// Copies frames `frames` (across data files) into `buffer` (element type, host order).
    func read(_ frames: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        let frameBytes = detRows * detCols * elementType.byteSize
        var frame = frames.lowerBound
        while frame < frames.upperBound {
            guard let index = parts.firstIndex(where: { frame < $0.firstFrame + $0.frames }) else { break }
            let part = parts[index]
            let local = frame - part.firstFrame
            let n = min(frames.upperBound - frame, part.frames - local)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[((frame - frames.lowerBound) * frameBytes)...].prefix(n * frameBytes))
            if part.bitshuffleLZ4 {
                try readDecoded(part, index: index, local: local..<(local + n), frameBytes: frameBytes, into: target)
            } else {
                try readThroughLibrary(part.dataset, local..<(local + n), into: target)
            }
            frame += n
        }
    }

    private func readDecoded(_ part: Part, index: Int, local: Range<Int>, frameBytes: Int, into target: UnsafeMutableRawBufferPointer) throws {
        var frame = local.lowerBound
        while frame < local.upperBound {
            let chunk = frame / part.chunkFrames
            let chunkStart = chunk * part.chunkFrames
            if cached?.part != index || cached?.chunk != chunk {
                let bytes = try part.dataset.readRawChunk(at: [chunkStart, 0, 0], into: &raw)
                var decoded = cached?.bytes ?? []
                let size = part.chunkFrames * frameBytes
                if decoded.count != size { decoded = [UInt8](repeating: 0, count: size) }
                try raw.withUnsafeBytes { rawBytes in
                    try decoded.withUnsafeMutableBytes { out in
                        try BitshuffleLZ4.decode(UnsafeRawBufferPointer(rebasing: rawBytes[0..<bytes]), into: out, elementSize: elementType.byteSize,
                                                 scratch: &scratch, file: path, what: "\(part.dataset.path) chunk \(chunk)")
                    }
                }
                cached = (index, chunk, decoded)
            }
            let n = min(local.upperBound, chunkStart + part.chunkFrames) - frame
            let from = (frame - chunkStart) * frameBytes
            cached!.bytes.withUnsafeBytes { decoded in
                UnsafeMutableRawBufferPointer(rebasing: target[((frame - local.lowerBound) * frameBytes)...]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: decoded[from..<(from + n * frameBytes)]))
            }
            frame += n
        }
    }

    private func readThroughLibrary(_ ds: HDF5Dataset, _ frames: Range<Int>, into target: UnsafeMutableRawBufferPointer) throws {
        switch elementType {
        case .uint8: try ds.read(ranges: [frames], into: target.bindMemory(to: UInt8.self))
        case .uint16: try ds.read(ranges: [frames], into: target.bindMemory(to: UInt16.self))
        case .uint32: try ds.read(ranges: [frames], into: target.bindMemory(to: UInt32.self))
        default: try ds.read(ranges: [frames], into: target.bindMemory(to: Float.self))
        }
    }
}
