/// Where the detector cuts a true line, piece by piece of a video (`ctl bench tem --draws N
/// --diagnose`): the tracker joins a cut line's two pieces when the line was seen whole inside
/// the piece (`TEMTrackerConfig.collinearSeenWhole`), so a line cut in every frame of a piece
/// needs evidence from elsewhere — is it seen whole in another piece, and does its gap sit at a
/// fixed place along it (an obstacle, a crossing trace) or move? For benchmarks, not tracking.
///
/// Each curve of a frame is put on the true line half or more of its points lie within the match
/// gate of (as `TEMFoldedCurves` does). A line is **whole** in a frame with one curve on it,
/// **cut** with two or more; for a cut frame the largest gap between the curves' extents along
/// the true line (arc length from its first point) is kept, and how many tracks hold its curves.
public enum TEMCutLines {
    /// One true line in one piece of `pieceFrames` frames.
    public struct LinePiece: Codable, Sendable, Equatable {
        public var line: Int, piece: Int
        /// Frames it was seen in (one curve or more on it), whole in, cut in.
        public var seen = 0, whole = 0, cut = 0
        /// Per cut frame: the largest gap's centre along the line and its length, px.
        public var gapCentres: [Double] = [], gapLengths: [Double] = []
        /// Per cut frame: distinct tracks holding its curves (1: folded into one track).
        public var holders: [Int] = []
    }

    /// Every (line, piece) the line is seen in, in line then piece order.
    public static func summary(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack],
                               pieceFrames: Int, matchGate: Double = 3) -> [LinePiece] {
        var trackOf: [Int: [Int: Int]] = [:]
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f, default: [:]][c] = t.id } }
        var out: [[Int]: LinePiece] = [:]
        let size = max(1, pieceFrames)
        for f in 0..<min(truth.count, detected.count) {
            let lines = truth[f]
            let samples = lines.map { TEMPolyline.resample($0.points, spacing: 0.5) }
            let grids = samples.map { PointGrid($0, cell: matchGate) }
            var on: [Int: [Int]] = [:]
            for (c, curve) in detected[f].enumerated() {
                let points = TEMPolyline.resample(curve, spacing: 1)
                guard !points.isEmpty else { continue }
                let near = grids.map { g in points.filter { g.hasPoint(within: matchGate, of: $0) }.count }
                guard let best = near.indices.max(by: { near[$0] < near[$1] }), 2 * near[best] >= points.count else { continue }
                on[best, default: []].append(c)
            }
            for (i, curves) in on {
                let key = [lines[i].id, f / size]
                var s = out[key] ?? LinePiece(line: lines[i].id, piece: f / size)
                s.seen += 1
                if curves.count == 1 { s.whole += 1; out[key] = s; continue }
                s.cut += 1
                // Each curve's extent along the line: arc length of the nearest sample of its
                // points within the gate.
                let line = samples[i]
                var extents: [(Double, Double)] = []
                for c in curves {
                    var lo = Double.infinity, hi = -Double.infinity
                    for p in TEMPolyline.resample(detected[f][c], spacing: 1) {
                        var best = Double.infinity, at = 0
                        for (k, q) in line.enumerated() { let d = TEMPolyline.dist(p, q); if d < best { best = d; at = k } }
                        guard best <= matchGate else { continue }
                        lo = min(lo, 0.5 * Double(at)); hi = max(hi, 0.5 * Double(at))
                    }
                    if lo <= hi { extents.append((lo, hi)) }
                }
                extents.sort { $0.0 < $1.0 }
                var reach = extents.first?.1 ?? 0, gap = (centre: 0.0, length: 0.0)
                for e in extents.dropFirst() {
                    if e.0 - reach > gap.length { gap = (0.5 * (e.0 + reach), e.0 - reach) }
                    reach = max(reach, e.1)
                }
                s.gapCentres.append(gap.centre); s.gapLengths.append(gap.length)
                s.holders.append(Set(curves.compactMap { trackOf[f]?[$0] }).count)
                out[key] = s
            }
        }
        return out.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { out[$0]! }
    }

    /// The lines cut in every frame of some piece they were seen in at least `minSeen` frames of,
    /// each with all its pieces: "line L: piece P cut C/S (gap at X px, range R, length G; held
    /// by H tracks), piece Q whole W/S …".
    public static func report(_ pieces: [LinePiece], minSeen: Int = 5) -> String {
        func median(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.sorted()[v.count / 2] }
        let byLine = Dictionary(grouping: pieces, by: \.line)
        var out: [String] = []
        for line in byLine.keys.sorted() {
            let ps = byLine[line]!.sorted { $0.piece < $1.piece }
            guard ps.contains(where: { $0.seen >= minSeen && $0.cut == $0.seen }) else { continue }
            let parts = ps.map { p -> String in
                var s = "piece \(p.piece) seen \(p.seen), whole \(p.whole), cut \(p.cut)"
                if p.cut > 0 {
                    let c = p.gapCentres
                    s += " (gap at \(TEMBenchmark.fmt(median(c), 0)) px, range \(TEMBenchmark.fmt(c.max()! - c.min()!, 0)),"
                        + " length \(TEMBenchmark.fmt(median(p.gapLengths), 1)); held by 1 track in \(p.holders.filter { $0 == 1 }.count))"
                }
                return s
            }
            out.append("line \(line): " + parts.joined(separator: "; "))
        }
        return out.joined(separator: "\n")
    }
}
