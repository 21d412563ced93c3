/// 3D lines from several stereo pairs put together: lines of the first pair are kept whole,
/// and each later pair adds only the stretches of its lines that no kept line covers (within
/// `tolerance` px in x–y). A pair matches lines along its own baseline, so a line nearly
/// parallel to one baseline (ill-posed there) is found by the pair across it.
public enum STEM4DLineUnion {
    /// The union of `sets` (one per pair, in order of preference); stretches shorter than
    /// `minPoints` points are dropped.
    public static func union(_ sets: [[STEM4DLine3D]], tolerance: Double = 2, minPoints: Int = 8) -> [STEM4DLine3D] {
        guard var kept = sets.first else { return [] }
        let tol2 = tolerance * tolerance
        for set in sets.dropFirst() {
            var added: [STEM4DLine3D] = []
            // Points already covered: a coarse grid of the kept points, cells of `tolerance`.
            var grid: [Int64: [[Double]]] = [:]
            func key(_ x: Double, _ y: Double) -> Int64 {
                (Int64((x / tolerance).rounded(.down)) &* 1_000_003) &+ Int64((y / tolerance).rounded(.down))
            }
            for line in kept { for p in line.points { grid[key(p[0], p[1]), default: []].append(p) } }
            func covered(_ p: [Double]) -> Bool {
                let cx = Int64((p[0] / tolerance).rounded(.down)), cy = Int64((p[1] / tolerance).rounded(.down))
                for dx in -1...1 {
                    for dy in -1...1 {
                        for q in grid[((cx + Int64(dx)) &* 1_000_003) &+ (cy + Int64(dy))] ?? []
                        where (q[0] - p[0]) * (q[0] - p[0]) + (q[1] - p[1]) * (q[1] - p[1]) <= tol2 { return true }
                    }
                }
                return false
            }
            for line in set {
                var run: [[Double]] = []
                func flush() {
                    if run.count >= minPoints {
                        added.append(STEM4DLine3D(points: run, reprojectionRMS: line.reprojectionRMS,
                                                  minusIndex: line.minusIndex, plusIndex: line.plusIndex))
                    }
                    run = []
                }
                for p in line.points {
                    if covered(p) { flush() } else { run.append(p) }
                }
                flush()
            }
            kept += added
        }
        return kept
    }
}
