import Foundation

/// A BCDI volume in a `.npz` archive or a MATLAB v5 `.mat` file: the complex array named by
/// `--param dataset=NAME`, else the only complex array of rank 3 (or 4, a stack of modes).
/// MATLAB v7.3 files are HDF5 and are read by ``BCDIVolumeSource`` directly.
final class BCDIArchivedVolume: @unchecked Sendable {
    private enum Backing {
        case npz(NPZArray)
        case mat(MATVariable)
    }

    /// The array's name in the file.
    let name: String
    /// The array's C-order shape as stored (possibly with a modes axis).
    let storedShape: [Int]
    private let backing: Backing

    private init(name: String, storedShape: [Int], backing: Backing) {
        self.name = name
        self.storedShape = storedShape
        self.backing = backing
    }

    /// Opens `path` if it is a `.npz` or a MAT v5 file; nil for every other file.
    static func open(path: String, name requested: String?) throws -> BCDIArchivedVolume? {
        switch (path as NSString).pathExtension.lowercased() {
        case "npz":
            let file = try NPZFile.open(path: path)
            let chosen = try choose(requested, among: file.headers().map { ($0.name, $0.header.shape, $0.header.dtype.kind == .complex) },
                                    path: path, what: "array", fix: "np.savez(path, obj=volume)")
            let array = try file.array(chosen)
            guard array.dtype.kind == .complex else {
                throw FormatError(.wrongShape, file: path, dataset: chosen, problem: "holds \(array.dtype), not complex values",
                                  fix: "save the reconstruction as complex64 or complex128")
            }
            return BCDIArchivedVolume(name: chosen, storedShape: array.shape, backing: .npz(array))
        case "mat" where !MATFile.isHDF5(path: path):
            let file = try MATFile.open(path: path)
            let chosen = try choose(requested, among: file.variables.map { ($0.name, $0.shape, $0.isComplex) },
                                    path: path, what: "variable", fix: "scipy.io.savemat(path, {'obj': volume}) or save(path, 'obj')")
            let variable = try file.variable(chosen)
            guard variable.isComplex else {
                throw FormatError(.wrongShape, file: path, dataset: chosen, problem: "holds real \(variable.className) values, not complex ones")
            }
            return BCDIArchivedVolume(name: chosen, storedShape: variable.shape, backing: .mat(variable))
        default:
            return nil
        }
    }

    /// The requested name, else the only complex array of rank 3 or 4.
    static func choose(_ requested: String?, among arrays: [(name: String, shape: [Int], complex: Bool)],
                       path: String, what: String, fix: String) throws -> String {
        let listing = arrays.isEmpty ? "none" : arrays.map { "\($0.name) \($0.shape)\($0.complex ? " complex" : "")" }.joined(separator: ", ")
        if let requested, !requested.isEmpty {
            let bare = requested.hasPrefix("/") ? String(requested.dropFirst()) : requested
            guard let hit = arrays.first(where: { $0.name == bare || $0.name + ".npy" == bare }) else {
                throw FormatError(.missing, file: path, dataset: requested, problem: "no such \(what) (the file holds: \(listing))",
                                  fix: "check --param dataset=NAME")
            }
            return hit.name
        }
        let volumes = arrays.filter { $0.complex && ($0.shape.count == 3 || $0.shape.count == 4) }
        guard volumes.count == 1 else {
            throw FormatError(.missing, file: path,
                              problem: volumes.isEmpty ? "holds no complex 3D \(what) (found: \(listing))"
                                                       : "holds \(volumes.count) complex 3D \(what)s (\(volumes.map(\.name).joined(separator: ", ")))",
                              fix: volumes.isEmpty ? "save the reconstruction as a complex array, e.g. \(fix)" : "choose one with --param dataset=NAME")
        }
        return volumes[0].name
    }

    /// Real and imaginary parts of flat elements `elements` (C order of ``storedShape``).
    func readSplit(elements: Range<Int>) throws -> (re: [Float], im: [Float]) {
        switch backing {
        case .mat(let variable):
            return try variable.readSplit(elements: elements)
        case .npz(let array):
            var inter = [Float](repeating: 0, count: 2 * elements.count)
            try inter.withUnsafeMutableBufferPointer { try array.copyComplex(elements: elements, interleavedInto: $0) }
            var re = [Float](repeating: 0, count: elements.count), im = re
            for i in 0..<elements.count {
                re[i] = inter[2 * i]
                im[i] = inter[2 * i + 1]
            }
            return (re, im)
        }
    }
}
