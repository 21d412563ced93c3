import Foundation

/// Small 4D-STEM inputs: a bright-field disk on a dim background, in every format.
public enum STEM4DFixtures {
    public static func temporaryDirectory(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-stem4d-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `scan` × `scan` frames of `det` × `det`: a disk of radius `det/4` at the centre whose
    /// level varies with the scan position, plus a dim background.
    public static func cube(scan: Int, det: Int) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: scan * scan * det * det)
        let c = Double(det - 1) / 2, r = Double(det) / 4
        for f in 0..<(scan * scan) {
            for y in 0..<det {
                for x in 0..<det {
                    let d = ((Double(x) - c) * (Double(x) - c) + (Double(y) - c) * (Double(y) - c)).squareRoot()
                    out[f * det * det + y * det + x] = d <= r ? UInt16(100 + (f * 7 + x) % 13) : UInt16((f + y) % 3)
                }
            }
        }
        return out
    }
}
