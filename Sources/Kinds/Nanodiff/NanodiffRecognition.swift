import Foundation
import Shared

/// Kind detection for `nanodiff` from the content, and what `ctl run` says it found.
///
/// A 5D real dataset in the first HDF5 file is certain. A directory of several HDF5 files, each
/// holding one real 4D dataset of the same shape and a rocking angle at `/entry/data/angle`, is
/// a per-angle rocking scan: certain. Several 4D files without stored angles could as well be
/// unrelated 4D-STEM cubes: possible (detection then asks for `--kind`).
enum NanodiffRecognition {
    static let angleDataset = "/entry/data/angle"

    static func match(_ input: InputListing) -> InputMatch {
        guard let file = input.first(withExtensionIn: NanodiffScanSource.extensions) else { return .no }
        if NanodiffPlanner.rank(of: file) == 5 { return .certain }
        guard let perAngle = perAngleFiles(input) else { return .no }
        return perAngle.allHaveAngles ? .certain : .possible
    }

    /// A directory's HDF5 files when there are several and each holds exactly one real 4D
    /// dataset, all of one shape; with whether every file stores its rocking angle.
    static func perAngleFiles(_ input: InputListing) -> (files: [String], shape: [Int], allHaveAngles: Bool)? {
        guard input.isDirectory else { return nil }
        let files = input.names.filter { NanodiffScanSource.extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .map { (input.path as NSString).appendingPathComponent($0) }
        guard files.count >= 2 else { return nil }
        var shape: [Int]?, angles = true
        for file in files {
            guard let h5 = try? HDF5File.open(path: file) else { return nil }
            defer { try? h5.close() }
            let fours = ((try? h5.datasets()) ?? []).filter { $0.rank == 4 && $0.elementType.isReal }
            guard fours.count == 1, shape == nil || shape == fours[0].shape else { return nil }
            shape = fours[0].shape
            angles = angles && h5.containsDataset(angleDataset)
        }
        return shape.map { (files, $0, angles) }
    }

    static func describe(_ input: InputListing) -> [String] {
        if let file = input.first(withExtensionIn: NanodiffScanSource.extensions), NanodiffPlanner.rank(of: file) == 5 {
            return ["\((file as NSString).lastPathComponent): a 5D rocking scan [angle, scan_y, scan_x, det_y, det_x]"]
        }
        guard let perAngle = perAngleFiles(input) else { return [] }
        let s = perAngle.shape
        let what = "\(perAngle.files.count) HDF5 files of one 4D dataset each, scan \(s[1])x\(s[0]), detector \(s[3])×\(s[2])"
        return [perAngle.allHaveAngles
            ? "\(input.path): \(what), a rocking angle in each (\(angleDataset)): a per-angle nanodiff rocking scan"
            : "\(input.path): \(what), no rocking angle stored (\(angleDataset)): pass --kind nanodiff (with --param angles=…) if they are one file per rocking angle"]
    }
}
