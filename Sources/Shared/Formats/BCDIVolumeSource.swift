import Foundation

/// One BCDI input volume: a 3D complex array in an HDF5/CXI file (compound `{r, i}`, optionally
/// with a leading modes axis whose first mode is used) or a `.npy` file (complex64/complex128,
/// C order). Opening it reads headers only; planes are read on demand.
///
/// Used by the planner (shape and type checks from headers) and by the workers (plane blocks,
/// the stored support mask), so that both give the same messages for the same file.
public final class BCDIVolumeSource: @unchecked Sendable {
    /// Default dataset paths, tried in order (CXI as written by PyNX).
    public static let defaultDatasets = ["/entry_1/image_1/data", "/entry_1/data_1/data"]
    /// Support mask stored next to the data by PyNX.
    public static let defaultMask = "/entry_1/image_1/mask"
    /// File name extensions read as volumes.
    public static let extensions: Set<String> = ["cxi", "h5", "hdf5", "nxs", "npy", "npz", "mat"]

    public let path: String
    /// The dataset inside an HDF5 file (nil for `.npy`).
    public let dataset: String?
    /// `[nz, ny, nx]`, a modes axis dropped.
    public let shape: [Int]
    /// Whether the stored array has a leading modes axis (of which mode 0 is read).
    public let hasModesAxis: Bool
    /// Modes stored (1 without a modes axis). PyNX orders modes by decreasing weight, so mode 0,
    /// the one read, is the dominant.
    public let modeCount: Int
    /// The stored support mask dataset, when the file has one of the volume's shape.
    public let maskDataset: String?

    private let hdf5: HDF5File?
    private let data: HDF5Dataset?
    private let npy: NPYFile?
    /// `.npz` and MATLAB `.mat` v5 volumes.
    private let archived: BCDIArchivedVolume?

    /// Opens `path` and checks, from headers only, that it holds a 3D complex volume.
    /// `dataset` overrides the default CXI paths (HDF5 only).
    public init(path: String, dataset requested: String? = nil) throws {
        self.path = path
        if let volume = try BCDIArchivedVolume.open(path: path, name: requested) {
            (shape, hasModesAxis) = try Self.volumeShape(volume.storedShape, file: path, dataset: volume.name)
            modeCount = hasModesAxis ? volume.storedShape[0] : 1
            archived = volume
            npy = nil
            hdf5 = nil
            data = nil
            dataset = volume.name
            maskDataset = nil
            return
        }
        archived = nil
        if (path as NSString).pathExtension.lowercased() == "npy" {
            let file = try NPYFile.open(path: path)
            guard file.dtype.kind == .complex else {
                throw FormatError(.wrongShape, file: path, problem: "holds \(file.dtype), not complex values",
                                  fix: "save the reconstruction as complex64 (<c8) or complex128 (<c16)")
            }
            guard !file.header.fortranOrder else {
                throw FormatError(.unsupported, file: path, problem: "is stored in Fortran order",
                                  fix: "save it in C order (numpy.ascontiguousarray)")
            }
            (shape, hasModesAxis) = try Self.volumeShape(file.shape, file: path, dataset: nil)
            modeCount = hasModesAxis ? file.shape[0] : 1
            npy = file
            hdf5 = nil
            data = nil
            dataset = nil
            maskDataset = nil
            return
        }
        let file = try HDF5File.open(path: path)
        let chosen: String
        if let requested {
            guard file.containsDataset(requested) else {
                throw FormatError(.missing, file: path, dataset: requested, problem: "no such dataset",
                                  fix: "check --param dataset= (the file's datasets: \(Self.listing(file)))")
            }
            chosen = requested
        } else if let found = Self.defaultDatasets.first(where: { file.containsDataset($0) }) {
            chosen = found
        } else if (path as NSString).pathExtension.lowercased() == "mat" {
            // MATLAB v7.3: variables are datasets at the root; the only complex 3D one.
            let arrays = try file.datasets().map { ($0.path, $0.shape, $0.elementType.isComplex) }
            chosen = try BCDIArchivedVolume.choose(nil, among: arrays, path: path, what: "variable", fix: "save(path, 'obj', '-v7.3')")
        } else {
            throw FormatError(.missing, file: path, dataset: Self.defaultDatasets[0],
                              problem: "no dataset at \(Self.defaultDatasets.joined(separator: " or "))",
                              fix: "name the volume with --param dataset=/path (the file's datasets: \(Self.listing(file)))")
        }
        let ds = try file.dataset(chosen)
        guard ds.elementType.isComplex else {
            throw FormatError(.wrongShape, file: path, dataset: chosen,
                              problem: "holds \(ds.elementType), not complex numbers (expected an HDF5 compound {r, i} of float32/float64)")
        }
        (shape, hasModesAxis) = try Self.volumeShape(ds.shape, file: path, dataset: chosen)
        modeCount = hasModesAxis ? ds.shape[0] : 1
        hdf5 = file
        data = ds
        npy = nil
        dataset = chosen
        if requested == nil || requested == Self.defaultDatasets[0], file.containsDataset(Self.defaultMask),
           let mask = try? file.dataset(Self.defaultMask), mask.elementType.isReal,
           Array(mask.shape.suffix(3)) == shape, mask.rank == 3 || (mask.rank == 4 && mask.shape[0] >= 1) {
            maskDataset = Self.defaultMask
        } else {
            maskDataset = nil
        }
    }

    /// Number of voxels.
    public var count: Int { shape.reduce(1, *) }

    /// What the file was found to be, for `ctl run` and the job notes.
    public var summary: String {
        let name = (path as NSString).lastPathComponent
        let format = npy != nil ? ".npy" : archived != nil ? (path.lowercased().hasSuffix(".mat") ? "MATLAB .mat" : ".npz")
            : (path.lowercased().hasSuffix(".cxi") ? "CXI" : "HDF5")
        var text = "\(name): \(format) complex volume \(shape[2])×\(shape[1])×\(shape[0]) (x×y×z)"
        if let dataset { text += " at \(dataset)" }
        if let type = data?.elementType { text += " (\(type))" }
        if let note = modeNote { text += "; \(note)" }
        if maskDataset != nil { text += "; support mask at \(Self.defaultMask)" }
        return text
    }

    /// The note for a stack of several modes: which one is used, and why.
    public var modeNote: String? {
        modeCount > 1 ? "\(modeCount) modes: mode 0 (the dominant; PyNX orders modes by weight) is used" : nil
    }

    /// Name for messages: `file.cxi dataset /entry_1/image_1/data`.
    public var label: String {
        let name = (path as NSString).lastPathComponent
        return dataset.map { "\(name) dataset \($0)" } ?? name
    }

    /// Real and imaginary parts of planes `z` (C order), checked for NaN/Inf.
    public func readPlanes(_ z: Range<Int>) throws -> (re: [Float], im: [Float]) {
        let plane = shape[1] * shape[2]
        var re: [Float], im: [Float]
        if let data {
            let ranges = (hasModesAxis ? [0..<1] : []) + [z, 0..<shape[1], 0..<shape[2]]
            let split = try data.readComplexSplit(ranges: ranges)
            re = split.real
            im = split.imag
        } else if let npy {
            // Mode 0 of a modes stack is the first `count` elements.
            let elements = (z.lowerBound * plane)..<(z.upperBound * plane)
            var inter = [Float](repeating: 0, count: 2 * elements.count)
            try inter.withUnsafeMutableBufferPointer { try npy.copyComplex(elements: elements, interleavedInto: $0) }
            re = [Float](repeating: 0, count: elements.count)
            im = re
            for i in 0..<elements.count {
                re[i] = inter[2 * i]
                im[i] = inter[2 * i + 1]
            }
        } else if let archived {
            // Mode 0 of a modes stack is the first `count` elements.
            let elements = (z.lowerBound * plane)..<(z.upperBound * plane)
            (re, im) = try archived.readSplit(elements: elements)
        } else {
            fatalError("unreachable: a source has a dataset or a .npy file")
        }
        for i in 0..<re.count where !re[i].isFinite || !im[i].isFinite {
            let zz = z.lowerBound + i / plane, y = (i % plane) / shape[2], x = i % shape[2]
            throw FormatError(.corrupt, file: path, dataset: dataset,
                              problem: "holds \(re[i].isNaN || im[i].isNaN ? "NaN" : "Inf") at voxel [x, y, z] = [\(x), \(y), \(zz)]",
                              fix: "repair or drop this reconstruction")
        }
        return (re, im)
    }

    /// The stored support mask for planes `z` (1 inside), or nil when the file has none.
    public func readMask(_ z: Range<Int>) throws -> [UInt8]? {
        guard let maskDataset, let hdf5 else { return nil }
        let mask = try hdf5.dataset(maskDataset)
        let ranges = (mask.rank == 4 ? [0..<1] : []) + [z, 0..<shape[1], 0..<shape[2]]
        return try mask.read(Float.self, ranges: ranges).map { $0 != 0 && !$0.isNaN ? 1 : 0 }
    }

    /// `[nz, ny, nx]` from a stored shape: rank 3, or rank 4 with a leading modes axis.
    static func volumeShape(_ stored: [Int], file: String, dataset: String?) throws -> ([Int], Bool) {
        let shape: [Int], modes: Bool
        switch stored.count {
        case 3: (shape, modes) = (stored, false)
        case 4 where stored[0] >= 1: (shape, modes) = (Array(stored.dropFirst()), true)
        default:
            throw FormatError(.wrongShape, file: file, dataset: dataset,
                              problem: "has shape \(stored) (rank \(stored.count)); expected a 3D volume [nz, ny, nx] or a stack of modes [modes, nz, ny, nx]")
        }
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw FormatError(.wrongShape, file: file, dataset: dataset, problem: "has an empty axis: shape \(stored)")
        }
        guard shape.allSatisfy({ $0 <= 8192 }), shape.reduce(1, *) <= 1 << 34 else {
            throw FormatError(.tooLarge, file: file, dataset: dataset, problem: "declares shape \(stored) (limit 8192 per axis, 2^34 voxels)")
        }
        return (shape, modes)
    }

    private static func listing(_ file: HDF5File) -> String {
        let names = ((try? file.datasets()) ?? []).map { "\($0.path) \($0.elementType) \($0.shape)" }
        return names.isEmpty ? "none" : names.prefix(8).joined(separator: ", ")
    }
}
