#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which piece joins of a synthetic frame join two pieces of one true line and which join two
/// lines (`ctl bench tem --long-frames N --join-diagnosis`): for every join the geometry allows
/// (`TEMFragmentGrouping.candidateJoins`) on the detector's unjoined curves, the truth of each
/// piece and what the frame shows between and beside the facing ends. For benchmarks, not for
/// detection.
public enum TEMJoinDiagnosis {
    public struct Record: Sendable {
        /// Both pieces on one true line; on two lines of one pile-up; of two pile-ups. Nil when a
        /// piece lies on no single true line.
        public var sameLine: Bool?
        public var samePileup: Bool?
        public var gap: Double
        /// Turn between the outward end tangents, degrees.
        public var turnDegrees: Double
        /// The gap's evidence (`TEMPieceJoinEvidence.measure`).
        public var evidence: TEMPieceJoinEvidence.Measure
        public var accepted: Bool
    }

    /// The true line (id, pile-up) most of `curve`'s points lie within 3 px of, when at least
    /// 60 % of them do.
    static func truthOf(_ curve: [TEMPoint], truth: [TEMTruthDislocation]) -> (id: Int, pileup: Int)? {
        var votes: [Int: Int] = [:]
        let pts = TEMPolyline.resample(curve, spacing: 2)
        for p in pts {
            var best = (d: 9.0, id: -1)
            for (k, d) in truth.enumerated() {
                for q in d.points { let e = q - p; let d2 = e.x * e.x + e.y * e.y; if d2 < best.d { best = (d2, k) } }
            }
            if best.id >= 0 { votes[best.id, default: 0] += 1 }
        }
        guard let top = votes.max(by: { $0.value < $1.value }), top.value * 10 >= 6 * pts.count else { return nil }
        return (truth[top.key].id, truth[top.key].pileup)
    }

    /// The records of one frame: `pieces` are the detector's curves before joining, `response`
    /// its map with `median`, `sigma` (the frame's robust statistics), `normal` its quantised normals.
    public static func records(pieces: [[TEMPoint]], truth: [TEMTruthDislocation], response: [Float], normal: [Float],
                               median: Float, sigma: Float, width: Int, height: Int,
                               accept: (TEMFragmentGrouping.Join) -> Bool,
                               null frameNull: TEMPieceJoinEvidence.FrameNull? = nil) -> [Record] {
        let joins = TEMFragmentGrouping.candidateJoins(pieces)
        guard !joins.isEmpty else { return [] }
        let owner = pieces.map { truthOf($0, truth: truth) }
        let s = max(sigma, 1e-12)
        return response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
            let null = (frameNull ?? TEMPieceJoinEvidence.FrameNull(maxSamples: TEMPieceJoinEvidence.joinSamples))
                .get(response: r, normal: nb, width: width, height: height, median: median, sigma: s)
            return joins.map { j in
                let ta = TEMFragmentGrouping.outwardTangent(pieces[j.a], atEnd: j.aEnd)
                let tb = TEMFragmentGrouping.outwardTangent(pieces[j.b], atEnd: j.bEnd)
                let turn = acos(max(-1, min(1, -(ta.x * tb.x + ta.y * tb.y)))) * 180 / .pi
                var e = TEMPieceJoinEvidence.measure(j, pieces: pieces, response: r, normal: nb, width: width, height: height,
                                                     median: median, sigma: sigma)
                let (pa, pb) = j.ends(pieces)
                let path = TEMPieceJoinEvidence.pathMean(from: pa, to: pb, r, nb, width: width, height: height, median: median, sigma: s)
                e.alongBridge = path.mean
                e.nullMedian = null.level(samples: path.samples, k: 0)
                e.nullLevel2 = null.level(samples: path.samples, k: 2)
                let oa = owner[j.a], ob = owner[j.b]
                return Record(sameLine: oa.flatMap { a in ob.map { a.id == $0.id } },
                              samePileup: oa.flatMap { a in ob.map { a.pileup == $0.pileup } },
                              gap: j.gap, turnDegrees: turn, evidence: e, accepted: accept(j))
            }
        } }
    }

    /// Quantiles (10, 50, 90 %) of each measure for joins within one line, across lines of one
    /// pile-up and across pile-ups, and how many of each the rule accepts.
    public static func report(_ records: [Record]) -> String {
        var out: [String] = []
        let groups: [(String, (Record) -> Bool)] = [
            ("one line", { $0.sameLine == true }),
            ("two lines, one pile-up", { $0.sameLine == false && $0.samePileup == true }),
            ("two pile-ups", { $0.samePileup == false }),
            ("unlabelled", { $0.sameLine == nil }),
        ]
        func q(_ v: [Double]) -> String {
            let s = v.sorted()
            guard !s.isEmpty else { return "–" }
            return [0.1, 0.5, 0.9].map { TEMBenchmark.fmt(s[min(s.count - 1, Int($0 * Double(s.count)))], 2) }.joined(separator: "/")
        }
        for (name, member) in groups {
            let g = records.filter(member)
            let accepted = g.filter(\.accepted).count
            var line = "joins " + TEMBenchmark.pad(name, 24) + " \(g.count) (accepted \(accepted)):"
            line += " gap " + q(g.map { $0.gap }) + "  turn° " + q(g.map { $0.turnDegrees })
            line += "  bridge z " + q(g.map { $0.evidence.bridge }) + "  along share " + q(g.map { $0.evidence.alongShare })
            line += "  ends z " + q(g.map { $0.evidence.ends }) + "  beside z " + q(g.map { $0.evidence.beside })
            line += "  score " + q(g.map { $0.evidence.score }) + "  along-bridge z " + q(g.map { $0.evidence.alongBridge })
            line += "  null median " + q(g.map { $0.evidence.nullMedian }) + "  margin over 2 spreads " + q(g.map { $0.evidence.alongBridge - $0.evidence.nullLevel2 })
            line += "  spreads above null " + q(g.map { ($0.evidence.alongBridge - $0.evidence.nullMedian) / max(1e-9, ($0.evidence.nullLevel2 - $0.evidence.nullMedian) / 2) })
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}

extension TEMJoinDiagnosis {
    /// The first `frames` frames of a preset video: every candidate join's record, and how many
    /// of the detector's reported curves (joined as `config` joins) lie on two true lines (≥ 20
    /// px within 2 px of each) — of one pile-up and of two.
    public static func run(_ difficulty: TEMDifficulty, frames: Int, seed: UInt64, config: TEMDetectorConfig) -> String {
        let params = TEMSynthParams.preset(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        var split = config
        split.joinPieces = false
        var detector = TEMDetector(config: split)
        var records: [Record] = []
        var twoLines = (onePileup: 0, twoPileups: 0, curves: 0)
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            let curves = detector.detect(img, width: params.width, height: params.height)
            let pieces = curves.map(\.points)
            let t = detector.lastThresholds
            let response = detector.lastResponse(), normal = detector.lastNormal()
            // The frame's null as the detector shares it (one length for bridges and joins).
            let null = TEMDetector.frameNull(config)
            let accept = TEMPieceJoinEvidence.rule(config, response: response, normal: normal, median: t.median, sigma: t.sigma,
                                                   width: params.width, height: params.height, pieces: pieces, null: null)
            records += Self.records(pieces: pieces, truth: synth.truth[f], response: response, normal: normal,
                                    median: t.median, sigma: t.sigma, width: params.width, height: params.height, accept: accept,
                                    null: null)
            let joined = config.joinPieces
                ? TEMFragmentGrouping.observations(pieces, accept: accept).curves : pieces
            for c in joined {
                twoLines.curves += 1
                let pts = TEMPolyline.resample(c, spacing: 1)
                let on = synth.truth[f].filter { d in
                    let g = PointGrid(TEMPolyline.resample(d.points, spacing: 0.5), cell: 2)
                    return pts.filter { g.hasPoint(within: 2, of: $0) }.count >= 20
                }
                if on.count >= 2 {
                    if Set(on.map(\.pileup)).count > 1 { twoLines.twoPileups += 1 } else { twoLines.onePileup += 1 }
                }
            }
        }
        return report(records) + "\nreported curves \(twoLines.curves): on two true lines of one pile-up \(twoLines.onePileup), of two pile-ups \(twoLines.twoPileups)"
    }
}
