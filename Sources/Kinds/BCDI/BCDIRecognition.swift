import Foundation
import Shared

/// Kind detection for `bcdi` from the content, and what `ctl run` says it found.
///
/// `.cxi` is certain; HDF5 and `.npy` hold either kind, so the first such file is opened: a
/// complex 3D array (or modes × 3D) is a BCDI volume, one with no complex array anywhere is
/// not. A directory holding no volume files but
/// subdirectories that do (an ensemble series) is judged by its first such subdirectory.
enum BCDIRecognition {
    static func match(_ input: InputListing) -> InputMatch {
        let volumeExtensions = BCDIVolumeSource.extensions
        if input.isDirectory && input.first(withExtensionIn: volumeExtensions) == nil {
            for name in input.names {
                let step = (input.path as NSString).appendingPathComponent(name)
                guard BCDIVolumeListing.isDirectory(step), let listing = try? InputListing(path: step),
                      listing.first(withExtensionIn: volumeExtensions) != nil else { continue }
                return match(listing)
            }
        }
        if input.extensions.contains("cxi") { return .certain }
        guard let file = input.first(withExtensionIn: ["h5", "hdf5", "nxs", "npy", "npz", "mat"]) else { return .no }
        if (try? BCDIVolumeSource(path: file)) != nil { return .certain }
        // A readable file without any complex array (4D-STEM counts, a rocking scan) is not a
        // volume even with --param dataset=; one that cannot be read is left to the planner.
        return holdsComplex(file) == false ? .no : .possible
    }

    /// Whether `file` holds a complex array anywhere (nil: cannot tell).
    static func holdsComplex(_ file: String) -> Bool? {
        switch (file as NSString).pathExtension.lowercased() {
        case "npy":
            return (try? NPYFile.open(path: file)).map { $0.dtype.kind == .complex }
        case "h5", "hdf5", "nxs":
            guard let h5 = try? HDF5File.open(path: file), let all = try? h5.datasets() else { return nil }
            defer { try? h5.close() }
            return all.contains { $0.elementType.isComplex }
        default:
            return nil
        }
    }

    /// `found …` lines: the first volume's format, shape, type, modes and mask, and for a
    /// directory the time steps and ensemble members.
    static func describe(_ input: InputListing, params: [String: String]) -> [String] {
        let dataset = params["dataset"]
        guard input.isDirectory else {
            let inFile = dataset == nil ? BCDIPyNXLayout.reconstructions(in: input.path) : []
            let first = inFile.first ?? dataset
            var lines = [volumeLine(input.path, dataset: first)]
            if !inFile.isEmpty { lines.append("\(input.names[0]): \(inFile.count) reconstructions (/entry_N/image_1/data): one ensemble of \(inFile.count) members") }
            return lines
        }
        guard let listing = try? BCDIVolumeListing.list(directory: input.path), let first = listing.entries.first else {
            return ["\(input.path): no BCDI volumes found in it"]
        }
        let steps = Dictionary(grouping: listing.entries, by: \.step)
        let members = steps.keys.sorted().map { steps[$0]!.count }
        var lines = [volumeLine(first.file, dataset: first.dataset ?? dataset)]
        if first.member == nil {
            lines.append("\(input.path): a time series of \(steps.count) volume(s), one reconstruction per step")
        } else {
            let counts = Set(members).count == 1 ? "\(members[0]) each" : members.map(String.init).joined(separator: ", ")
            lines.append("\(input.path): \(steps.count) time step(s), ensembles of reconstructions (members: \(counts))")
        }
        return lines + listing.notes
    }

    private static func volumeLine(_ file: String, dataset: String?) -> String {
        do {
            return try BCDIVolumeSource(path: file, dataset: dataset).summary
        } catch {
            return "\((file as NSString).lastPathComponent): cannot be opened as a BCDI volume: \(error)"
        }
    }
}
