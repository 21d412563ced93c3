import Foundation
import Kernels
import Shared

/// One rocking scan on disk: a 5D dataset [angle, scan_y, scan_x, det_y, det_x] in one HDF5
/// file, or one 4D dataset [scan_y, scan_x, det_y, det_x] per angle in files given in angle
/// order. Reads blocks of positions across every angle into [angle, position, det_y, det_x].
public struct NanodiffScanSource: Sendable {
    public static let defaultDataset = "/entry/data/data"
    public static let extensions: Set<String> = ["h5", "hdf5", "nxs"]
    /// Where `ctl synth nanodiff` stores what it knows (and where a beamline writer may too).
    public static let storedNames = [
        "energy_kev": "/entry/instrument/energy_kev", "distance_m": "/entry/instrument/distance_m",
        "pixel_um": "/entry/instrument/pixel_um", "two_theta_deg": "/entry/instrument/two_theta_deg",
        "center_x": "/entry/instrument/center_x", "center_y": "/entry/instrument/center_y",
        "step_nm": "/entry/sample/step_nm",
    ]

    public let files: [String]
    public let dataset: String
    /// [angles, scan_rows, scan_cols, det_rows, det_cols].
    public let shape: [Int]
    public let elementType: HDF5ElementType

    /// Opens `files` (one 5D file, or several 4D files, one per angle) and checks their shapes.
    public init(files: [String], dataset: String?) throws {
        guard let first = files.first else { throw TaskError("nanodiff: no files given") }
        let wantedRank = files.count == 1 ? 5 : 4
        var shapes: [[Int]] = [], types: [HDF5ElementType] = [], chosen = ""
        for file in files {
            let h5 = try HDF5File.open(path: file)
            defer { try? h5.close() }
            let path = try Self.resolveDataset(h5, dataset: dataset, rank: wantedRank)
            let d = try h5.dataset(path)
            guard d.elementType.isReal else {
                throw TaskError("\(file): dataset \(path) holds \(d.elementType), not counts: nanodiff reads unsigned integer or float detector data")
            }
            shapes.append(d.shape); types.append(d.elementType); chosen = path
        }
        guard Set(shapes.map { $0.description }).count == 1 else {
            throw TaskError("\(first): the per-angle files disagree in shape (\(shapes[0]) vs \(shapes.first { $0 != shapes[0] }!)): every angle must be the same scan")
        }
        let s = wantedRank == 5 ? shapes[0] : [files.count] + shapes[0]
        guard s.allSatisfy({ $0 > 0 }), s[3] * s[4] <= 4096 * 4096, s[0] <= 100_000 else {
            throw TaskError("\(first): dataset \(chosen) has shape \(s) (angles, scan rows, scan columns, detector rows, detector columns): empty or absurd")
        }
        self.files = files
        self.dataset = chosen
        self.shape = s
        elementType = types[0]
    }

    /// `dataset` if given (checked to have `rank`), else the default path, else the only
    /// dataset of that rank.
    static func resolveDataset(_ h5: HDF5File, dataset: String?, rank: Int) throws -> String {
        let what = rank == 5 ? "a 5D dataset [angle, scan_y, scan_x, det_y, det_x]" : "a 4D dataset [scan_y, scan_x, det_y, det_x] (one file per angle)"
        if let dataset {
            guard h5.containsDataset(dataset) else { throw TaskError("\(h5.path): no dataset \(dataset): pass --param dataset=/path naming \(what)") }
            let shape = try h5.dataset(dataset).shape
            guard shape.count == rank else { throw TaskError("\(h5.path): dataset \(dataset) has shape \(shape), expected \(what)") }
            return dataset
        }
        if h5.containsDataset(defaultDataset), try h5.dataset(defaultDataset).shape.count == rank { return defaultDataset }
        let candidates = try h5.datasets().filter { $0.rank == rank && $0.elementType.isReal }
        guard candidates.count == 1 else {
            throw TaskError("\(h5.path): \(candidates.isEmpty ? "holds no" : "holds \(candidates.count)") \(rank)D datasets; nanodiff needs \(what): pass --param dataset=/path")
        }
        return candidates[0].path
    }

    public var angles: Int { shape[0] }
    public var rows: Int { shape[1] }
    public var cols: Int { shape[2] }
    public var frame: Int { shape[3] * shape[4] }
    /// Whether blocks are read as uint16 (integer counts below 2¹⁶) or float32.
    public var readsUInt16: Bool { [.uint8, .uint16].contains(elementType) }
    public var bytesPerValue: Int { readsUInt16 ? 2 : 4 }

    /// Reads positions `cols` of scan row `row` across every angle into `buffer`
    /// ([angle, position, det_y, det_x]); `directChunks` false always reads the hyperslab (the
    /// file benchmark compares both).
    public func read<T: HDF5Scalar>(row: Int, cols: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>, directChunks: Bool = true) throws {
        let per = cols.count * frame
        if files.count == 1 {
            let h5 = try HDF5File.open(path: files[0])
            defer { try? h5.close() }
            let data = try h5.dataset(dataset)
            if try directChunks && NanodiffChunkReader.read(data, row: row, cols: cols, into: buffer) { return }
            try data.read(ranges: [0..<angles, row..<(row + 1), cols, 0..<shape[3], 0..<shape[4]], into: buffer)
        } else {
            for (a, file) in files.enumerated() {
                let h5 = try HDF5File.open(path: file)
                defer { try? h5.close() }
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[(a * per)..<((a + 1) * per)])
                try h5.dataset(dataset).read(ranges: [row..<(row + 1), cols, 0..<shape[3], 0..<shape[4]], into: slice)
            }
        }
    }

    /// A number the file stores at `path` (first element), if any.
    public static func storedNumber(_ file: String, _ path: String) -> Double? {
        guard let h5 = try? HDF5File.open(path: file) else { return nil }
        defer { try? h5.close() }
        guard h5.containsDataset(path), let v = try? h5.dataset(path).read(Double.self).first, v.isFinite else { return nil }
        return v
    }

    /// The angles (degrees): `--param angles`, else the stored ones.
    public func resolveAngles(_ options: NanodiffJobOptions) throws -> [Double] {
        if let a = options.angles {
            guard a.count == angles else {
                throw TaskError("--param angles gives \(a.count) angles but \(files[0]) holds \(angles): give one angle per rocking step")
            }
            return a
        }
        if files.count == 1 {
            let path = options.anglesDataset ?? "/entry/data/angles"
            let h5 = try HDF5File.open(path: files[0])
            defer { try? h5.close() }
            guard h5.containsDataset(path), case let a = try h5.dataset(path).read(Double.self), a.count == angles, a.allSatisfy(\.isFinite) else {
                throw TaskError("\(files[0]): no usable rocking angles at \(path) (\(angles) finite values, degrees): pass --param angles=start:stop:\(angles) or --param angles_dataset=/path")
            }
            return a
        }
        return try files.map { file in
            guard let a = Self.storedNumber(file, options.anglesDataset ?? "/entry/data/angle") else {
                throw TaskError("\(file): no rocking angle stored at \(options.anglesDataset ?? "/entry/data/angle"): pass --param angles=a,b,c (degrees, one per file)")
            }
            return a
        }
    }

    /// The geometry: each value from `--param`, else the file, else an error naming the param.
    public func resolveGeometry(_ options: NanodiffJobOptions) throws -> (NanodiffGeometry, stepAngstrom: Double) {
        func value(_ key: String, _ given: Double?, fallback: Double? = nil) throws -> Double {
            if let given { return given }
            if let stored = Self.storedNumber(files[0], Self.storedNames[key]!) { return stored }
            if let fallback { return fallback }
            throw TaskError("\(files[0]) does not store the \(key.replacingOccurrences(of: "_", with: " ")) (\(Self.storedNames[key]!)): pass --param \(key)=VALUE")
        }
        let g = NanodiffGeometry(
            energyKeV: try value("energy_kev", options.energyKeV), distanceM: try value("distance_m", options.distanceM),
            pixelUm: try value("pixel_um", options.pixelUm), twoThetaDeg: try value("two_theta_deg", options.twoThetaDeg),
            centerX: try value("center_x", options.centerX, fallback: Double(shape[4] - 1) / 2),
            centerY: try value("center_y", options.centerY, fallback: Double(shape[3] - 1) / 2),
            rockingAxis: options.rockingAxis ?? .y)
        if let problem = g.problem { throw TaskError("\(files[0]): \(problem): pass the right value with --param") }
        return (g, try value("step_nm", options.stepNm, fallback: 100) * 10)
    }
}
