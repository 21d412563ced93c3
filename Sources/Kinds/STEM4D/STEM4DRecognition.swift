import Foundation
import Shared

/// Kind detection for `stem4d` from the content, and what `ctl run` says it found.
///
/// `.mib`/`.hdr` are certain. Otherwise the cube file (the input, or the one cube file of a
/// directory) is opened: one that opens as a 4D cube is certain; an HDF5/`.npy` file that does
/// not may still be one given `--param dataset=` or `scan=` (possible). A directory of several
/// cube files is possible only: one cube per rocking angle is a nanodiff scan, and stem4d takes
/// one cube.
enum STEM4DRecognition {
    static func match(_ input: InputListing) -> InputMatch {
        if !input.extensions.isDisjoint(with: ["mib", "hdr"]) { return .certain }
        let cubes = cubeFiles(input)
        guard let file = cubes.first else { return .no }
        if cubes.count > 1 { return .possible }
        if (try? STEM4DSource.open(path: file)) != nil { return .certain }
        // .xml/.raw are EMPAD and .dm4/.dm3 a 4D DM image only when they open as such.
        return ["xml", "raw", "dm4", "dm3"].contains((file as NSString).pathExtension.lowercased()) ? .no : .possible
    }

    /// The cube files of `input`: itself, or a directory's files of a 4D-STEM type (an EMPAD
    /// `.raw` next to its `.xml` and a Merlin `.hdr` are not counted).
    static func cubeFiles(_ input: InputListing) -> [String] {
        let names = input.names.filter { STEM4DSource.format(of: $0) != nil }
        let xmlStems = Set(names.filter { $0.lowercased().hasSuffix(".xml") }.map { ($0 as NSString).deletingPathExtension })
        let cubes = names.filter { name in
            !(name.lowercased().hasSuffix(".raw") && !xmlStems.isEmpty)
        }
        return input.isDirectory ? cubes.map { (input.path as NSString).appendingPathComponent($0) } : (cubes.isEmpty ? [] : [input.path])
    }

    /// `found …` lines: the cube's format and variant, axes, type and calibration.
    static func describe(_ input: InputListing, params: [String: String]) -> [String] {
        let cubes = cubeFiles(input)
        guard let file = cubes.first else { return [] }
        if cubes.count > 1 {
            return ["\(input.path): \(cubes.count) 4D-STEM files; stem4d reads one cube (pass a file), a directory of one cube per rocking angle is a nanodiff scan (--kind nanodiff)"]
        }
        let name = (file as NSString).lastPathComponent
        do {
            let source = try STEM4DSource.open(path: file, dataset: params["dataset"], scan: params["scan"])
            return ["\(name): \(source.summary)"]
        } catch {
            return ["\(name): cannot be opened as a 4D-STEM cube: \(error)"]
        }
    }
}
