import Foundation
@testable import Kernels

/// The bowed, roughly vertical test curve the double-line tracking tests share: through x over
/// rows `i` (y = 20 + 2i, one point per 2 px), moved `dx` along its normal, jittered across by
/// ±0.15 px by a fixed pattern of the frame and `salt`.
enum TEMBowedTestCurve {
    static func points(x: Double, dx: Double = 0, rows: ClosedRange<Int> = 0...60, frame: Int, salt: Int) -> [TEMPoint] {
        rows.map { i in
            let y = 20 + 2 * Double(i), v = (y - 80) / 60
            return TEMPoint(x + dx + 6 * (1 - v * v) + 0.15 * sin(Double(frame * 13 + i * 7 + salt * 31)), y)
        }
    }
}
