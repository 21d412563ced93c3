/// The order across the line of every pair of concurrent tracks side by side, piece by piece,
/// against the truth (`ctl bench tem --draws N --order-pairs`): whether a double line's pieces
/// (two tracks on one true line) change order between frames and a close pair's two lines keep
/// theirs (`TEMLineOrder`). For benchmarks, not tracking.
public enum TEMLineOrderDiagnosis {
    /// One pair of tracks of a piece: the true line each lies on (the line nearest its curves in
    /// most of its frames, within 2 px by mean distance; nil: none), and its offsets frame by frame.
    public struct Row: Codable, Sendable, Equatable {
        public var piece: Int
        public var lineA: Int?, lineB: Int?
        public var frames: [Int]
        public var shifts: [Double]
        public var deviations: [Double]
        /// Sign changes between consecutive frames (`TEMLineOrder.changes`).
        public var changes: Int
        /// Whether `TEMLineOrder.swaps` reads the pair as one line's pieces: tem-track25's rule
        /// (`rule`) and with `doubleLineOrderRefusable` (`refusableRule`).
        public var rule: Bool? = nil
        public var refusableRule: Bool? = nil
        /// Both tracks on one true line.
        public var oneLine: Bool { lineA != nil && lineA == lineB }
        /// The tracks on two true lines.
        public var twoLines: Bool { lineA != nil && lineB != nil && lineA != lineB }
    }

    /// Mean distance (px) within which a curve lies on a true line.
    static let lineGate = 2.0

    /// The pairs of `registered` (every frame's curves, drift removed; `drift[f]` added back gives
    /// the image's coordinates of `truth`) tracked in pieces of `framesPerPiece` frames by `config`.
    public static func rows(truth: [[TEMTruthDislocation]], registered: [[[TEMPoint]]], drift: [TEMPoint],
                            framesPerPiece: Int, config: TEMTrackerConfig) -> [Row] {
        let size = max(1, framesPerPiece)
        var out: [Row] = []
        for (piece, first) in stride(from: 0, to: registered.count, by: size).enumerated() {
            let range = first..<min(registered.count, first + size)
            let (observations, tracks) = TEMPiecewiseTracking.linkPiece(Array(registered[range]), config: config)
            let curves = observations?.map(\.curves) ?? Array(registered[range])
            func line(_ t: TEMTrack) -> Int? {
                var votes: [Int: Int] = [:]
                for (f, c) in zip(t.frames, t.curveIndices) {
                    let video = first + f
                    let curve = curves[f][c].map { $0 + drift[video] }
                    let near = truth[video].map { (id: $0.id, d: TEMPolyline.meanClosestDistance(from: curve, to: $0.points)) }
                    if let best = near.min(by: { $0.d < $1.d }), best.d <= lineGate { votes[best.id, default: 0] += 1 }
                }
                guard let best = votes.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }), 2 * best.value >= t.frames.count else { return nil }
                return best.key
            }
            let lines = tracks.map(line)
            for p in TEMLineOrder.pairs(tracks, curves: curves, gate: config.gate) {
                out.append(Row(piece: piece, lineA: lines[p.a], lineB: lines[p.b], frames: p.sides.map { first + $0.frame },
                               shifts: p.sides.map(\.shift), deviations: p.sides.map(\.deviation),
                               changes: TEMLineOrder.changes(p.sides), rule: TEMLineOrder.swaps(p.sides),
                               refusableRule: TEMLineOrder.swaps(p.sides, refusable: true)))
            }
        }
        return out
    }

    /// One line per pair: the lines, frames side by side, sign changes, offsets (deviations).
    public static func report(_ rows: [Row], seed: UInt64) -> String {
        rows.map { r in
            let lines = "\(r.lineA.map(String.init) ?? "-")/\(r.lineB.map(String.init) ?? "-")"
            let kind = r.oneLine ? "one" : r.twoLines ? "two" : "none"
            let offsets = zip(r.shifts, r.deviations).map { String(format: "%+.2f(%.2f)", $0, $1) }.joined(separator: " ")
            let rule = (r.rule ?? false ? " rule" : "") + (r.refusableRule ?? false ? " refusable" : "")
            return "order \(seed) piece \(r.piece) lines \(lines) \(kind) n \(r.shifts.count) changes \(r.changes)\(rule): \(offsets)"
        }.joined(separator: "\n")
    }

    /// Pairs by kind (one true line, two, not placed), by their sign changes (0, 1, 2 or more) and
    /// by what each rule folds (`rule`, `refusableRule`; pairs as tracked by the bench's tracker,
    /// so after any fold of its own).
    public static func summary(_ rows: [Row]) -> String {
        func line(_ name: String, _ r: [Row]) -> String {
            let c = r.map(\.changes)
            return "\(name) \(r.count): changes 0 \(c.filter { $0 == 0 }.count), 1 \(c.filter { $0 == 1 }.count), 2+ \(c.filter { $0 >= 2 }.count)"
                + ", rule \(r.filter { $0.rule ?? false }.count), refusable \(r.filter { $0.refusableRule ?? false }.count)"
        }
        return "order pairs: " + [line("one line", rows.filter(\.oneLine)), line("two lines", rows.filter(\.twoLines)),
                                  line("not placed", rows.filter { !$0.oneLine && !$0.twoLines })].joined(separator: "; ")
    }
}
