import Foundation
import Kernels

/// `truth.json` of `ctl synth nanodiff`: per scan, the true strain and tilt maps (row-major,
/// against the unstrained lattice, beam-averaged) and the defects, in scan positions.
struct NanodiffTruth: Codable {
    struct Scan: Codable {
        var scan_index: Int
        var file: String
        var rows: Int
        var cols: Int
        var strain: [Double]
        var tilt_x: [Double]
        var tilt_y: [Double]
        /// [x, y, sign] of each dislocation core.
        var dislocations: [[Double]]
        var params: NanodiffSynthParams
    }
    var kind: String
    var coordinates: String
    var scans: [Scan]
}
