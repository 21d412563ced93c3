import Foundation
import Kernels
import Shared

/// The payload of a `nanodiff` shard: a block of scan rows of one scan, read across every
/// rocking angle. Written by the planner with the scan's resolved geometry and angles, so
/// shards and merge agree on them.
public struct NanodiffShardPayload: Codable, Sendable, Equatable {
    /// Position of the scan in the series (natural sort), from 0.
    public var scanIndex: Int
    /// The scan's files: one 5D file, or one 4D file per angle (in angle order).
    public var files: [String]
    public var dataset: String
    /// [angles, scan_rows, scan_cols, det_rows, det_cols].
    public var shape: [Int]
    public var anglesDeg: [Double]
    public var geometry: NanodiffGeometry
    /// Scan step, Å.
    public var stepAngstrom: Double
    public var row0: Int
    public var row1: Int
    /// Where the shard writes its features.
    public var featuresFile: String
    /// Planning found the scan unusable: the task fails with this message.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case scanIndex = "scan_index", files, dataset, shape, anglesDeg = "angles_deg", geometry, stepAngstrom = "step_angstrom"
        case row0 = "row0", row1 = "row1", featuresFile = "features_file", error
    }
}

/// What a shard hands its merge.
public struct NanodiffShardOutput: Codable, Sendable, Equatable {
    public var featuresFile: String
    /// Positions where nothing diffracted above the background.
    public var empty: Int

    enum CodingKeys: String, CodingKey { case featuresFile = "features_file", empty }
}

/// Output file names, fixed by the output directory and scan index (a re-run overwrites).
public enum NanodiffPaths {
    public static func features(_ out: String, scan: Int, row0: Int, row1: Int) -> String {
        "\(out)/nanodiff/blocks/scan-\(pad(scan)).rows\(pad(row0))-\(pad(row1)).h5"
    }
    public static func maps(_ out: String, scan: Int) -> String { "\(out)/nanodiff/scan-\(pad(scan)).maps.h5" }
    public static func png(_ out: String, scan: Int, map: String) -> String { "\(out)/nanodiff/scan-\(pad(scan)).\(map).png" }
    static func pad(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
    }
}
