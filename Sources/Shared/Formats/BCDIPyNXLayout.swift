import Foundation

/// How PyNX lays out phase-retrieval ensembles: one CXI file per run of the same data, named
/// `<prefix>Run<NNNN><suffix>.cxi` (the suffix holds the run's LLK and support figures), or one
/// CXI file holding several reconstructions as `/entry_1`, `/entry_2`, … each with
/// `image_1/data`.
public enum BCDIPyNXLayout {
    /// A group of run files of the same data: one ensemble (one time step).
    public struct RunGroup: Equatable, Sendable {
        /// The name up to `Run` (what the runs share: scan, sample).
        public var prefix: String
        /// File names of the runs, in run-number order.
        public var members: [String]
    }

    /// Groups `names` (volume files) by the part of the name before PyNX's `Run<N>`; nil unless
    /// every name carries a run number and at least one group holds several runs (otherwise
    /// the files are a plain series). Groups come in natural order of their prefixes.
    public static func runGroups(_ names: [String]) -> [RunGroup]? {
        var groups: [String: [(run: Int, name: String)]] = [:]
        for name in names {
            guard let (prefix, run) = runNumber(in: name) else { return nil }
            groups[prefix, default: []].append((run, name))
        }
        guard groups.values.contains(where: { $0.count > 1 }) else { return nil }
        return groups.keys.sorted(by: NaturalSort.areInIncreasingOrder).map { prefix in
            RunGroup(prefix: prefix, members: groups[prefix]!.sorted { ($0.run, $0.name) < ($1.run, $1.name) }.map(\.name))
        }
    }

    /// `(prefix, run)` for a name holding `Run` (any case) followed by digits: the last such.
    static func runNumber(in name: String) -> (String, Int)? {
        let chars = Array(name), lower = Array(name.lowercased())
        var i = chars.count - 3
        while i >= 0 {
            if lower[i] == "r", lower[i + 1] == "u", lower[i + 2] == "n" {
                var j = i + 3
                while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
                if j > i + 3, let run = Int(String(chars[(i + 3)..<j].prefix(9))) {
                    return (String(chars[..<i]), run)
                }
            }
            i -= 1
        }
        return nil
    }

    /// The reconstruction datasets of a CXI/HDF5 file holding several (`/entry_N/image_1/data`
    /// for N = 1, 2, … while they exist, at most `limit`); empty when it holds one or none.
    public static func reconstructions(in path: String, limit: Int = 4096) -> [String] {
        guard let file = try? HDF5File.open(path: path) else { return [] }
        defer { try? file.close() }
        var found: [String] = []
        for n in 1...limit {
            let dataset = "/entry_\(n)/image_1/data"
            guard file.containsDataset(dataset) else { break }
            found.append(dataset)
        }
        return found.count > 1 ? found : []
    }
}
