/// Features of a block of scan positions from their frames, laid out as read from the data:
/// C order [angle, position, det_row, det_col] (a hyperslab over all angles of the 5D
/// dataset). Positions run in parallel; each reads its frames across every angle.
public enum NanodiffPositionAnalysis {
    /// Background pixels expected to pass the threshold per frame: one per position over all
    /// angles, so a position's cloud holds about one stray background voxel.
    public static func falseAlarms(angles: Int) -> Double { 1 / Double(max(1, angles)) }

    /// Features of `positions` positions; nil entries where a frame held NaN or ±∞.
    public static func analyse(_ block: UnsafeBufferPointer<UInt16>, angles: Int, positions: Int, width: Int, height: Int,
                               anglesDeg: [Double], geometry: NanodiffGeometry, threads: Int = 1) -> [NanodiffFeatures?] {
        run(block, angles: angles, positions: positions, width: width, height: height, anglesDeg: anglesDeg, geometry: geometry, threads: threads) {
            NanodiffMomentKernel.frame($0, width: width, height: height, falseAlarms: $1)
        }
    }

    /// The same for float32 frames.
    public static func analyse(_ block: UnsafeBufferPointer<Float>, angles: Int, positions: Int, width: Int, height: Int,
                               anglesDeg: [Double], geometry: NanodiffGeometry, threads: Int = 1) -> [NanodiffFeatures?] {
        run(block, angles: angles, positions: positions, width: width, height: height, anglesDeg: anglesDeg, geometry: geometry, threads: threads) {
            NanodiffMomentKernel.frame($0, width: width, height: height, falseAlarms: $1)
        }
    }

    /// The per-angle moments of every position (for the benchmark and tests).
    public static func moments(_ block: UnsafeBufferPointer<UInt16>, angles: Int, positions: Int, width: Int, height: Int,
                               position: Int) -> [NanodiffFrameMoments] {
        let frame = width * height
        return (0..<angles).map { a in
            NanodiffMomentKernel.frame(block.baseAddress! + (a * positions + position) * frame, width: width, height: height,
                                       falseAlarms: falseAlarms(angles: angles))
        }
    }

    static func run<T>(_ block: UnsafeBufferPointer<T>, angles: Int, positions: Int, width: Int, height: Int, anglesDeg: [Double],
                       geometry: NanodiffGeometry, threads: Int,
                       kernel: @escaping (UnsafePointer<T>, Double) -> NanodiffFrameMoments) -> [NanodiffFeatures?] {
        let frame = width * height
        precondition(block.count == angles * positions * frame && anglesDeg.count == angles, "block must be angles×positions×frame")
        guard let base = block.baseAddress, positions > 0 else { return [] }
        var out = [NanodiffFeatures?](repeating: nil, count: positions)
        let alarms = falseAlarms(angles: angles)
        out.withUnsafeMutableBufferPointer { results in
            let shared = UnsafeSendable((results, base, kernel))
            Parallel.forEach(positions, threads: threads) { p in
                var frames: [NanodiffFrameMoments] = []
                frames.reserveCapacity(angles)
                for a in 0..<angles {
                    let m = shared.value.2(shared.value.1 + (a * positions + p) * frame, alarms)
                    if m.background.isNaN { return }
                    frames.append(m)
                }
                shared.value.0[p] = NanodiffFeatures.compute(frames: frames, anglesDeg: anglesDeg, geometry: geometry)
            }
        }
        return out
    }
}
