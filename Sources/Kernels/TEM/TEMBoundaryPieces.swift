/// A line held in two pieces on one side of a piece boundary and by one tracklet on the other:
/// every piece's tracklet continues into that tracklet (`TEMTrackerConfig.boundaryPieces`).
///
/// Inside a piece the tracker joins a cut line's two pieces into one track when it has the
/// evidence (`joinCollinearPieces`, `collinearSeenWhole`); the neighbouring piece may lack it
/// and keep the same two pieces as two tracklets. The boundary linker
/// (`TEMTrackletLinker.boundaryContinuations`) continues one end into one start, comparing the
/// start's first curve with the end's last: the joined tracklet takes one of the two, and the
/// other — often the line's identity over the whole previous piece — ends at the boundary. On
/// hard draw 146 (docs/tem.md, tem-track23) the bent line 11 is held in piece 0 by a 10-frame
/// tracklet (its long arm) and a 1-frame one (its short arm, seen alone in frame 19); piece 1
/// joins both arms into one tracklet whose first frame (a repeat of frame 19) shows the short
/// arm only, so the 1-frame tracklet takes it and the line changes track at the boundary. A
/// one-pass tracker would have carried both tracks into piece 1 and joined them there.
///
/// From the summaries' boundary pieces (`TEMTracklet.headPieces`, `tailPieces`: the pieces of
/// each frame within the tracker's reach of the tracklet's start or end where it holds its line
/// in two or more), for a start `c` linked from end `a`, and an end `b` whose chain stops there
/// within reach of one of `c`'s two-piece frames (mirrored: an end `a` linked to `c`, and a
/// start `b` whose chain begins there):
/// - `b`'s curve (its last whole one, as the linker reads it) lies within the frame link's gate
///   of one piece `p` of that frame and `a`'s of another `q`, each nearer its own piece than
///   the other's (the frame tracker's assignment of the two, one line's two arms);
/// - `a`'s and `b`'s curves are not side by side (sharing half the shorter's span, as
///   `TEMAlternatingTracks` tells two lines): pieces of one line lie end to end;
/// - `a` and `b` were never seen in one frame: where their piece saw both, its own tests
///   (`joinTurns`, `joinCollinearPieces`) had the evidence and left them two — on medium draw
///   11 the other side's two-piece tracklet was two lines folded, and joining would carry the
///   fold on. Only the piece that never saw the two together defers to the one that did.
/// Then `b`'s chain joins `c`'s (one track id), when `b`'s chain lies within the pieces `c`'s
/// chain covers (it carries no other line's history). Nothing is set by hand: the gate and the
/// reach are the frame tracker's.
enum TEMBoundaryPieces {
    /// `chains` (from `TEMTrackletLinker.link`) with the chain of each piece's tracklet that
    /// stops (or begins) at a boundary joined to the chain that carries the line on as one
    /// tracklet holding both pieces; returned in order of their first tracklet, each chain's
    /// tracklets in order of first frame. Summaries without boundary pieces change nothing.
    static func join(_ chains: [[Int]], tracklets: [TEMTracklet], config: TEMTrackerConfig) -> [[Int]] {
        guard chains.count > 1 else { return chains }
        var chainOf = [Int](repeating: -1, count: tracklets.count)
        var next = [Int?](repeating: nil, count: tracklets.count), previous = next
        for (c, chain) in chains.enumerated() {
            for k in chain { chainOf[k] = c }
            for (x, y) in zip(chain, chain.dropFirst()) { next[x] = y; previous[y] = x }
        }
        let piece = tracklets.map(TEMTrackletLinker.piece)
        let reach = config.maxGap + 1
        // An end's curve as the linker reads it: its last whole curve (a fragment is no reference).
        func ended(_ t: TEMTracklet) -> [TEMPoint] {
            TEMTrackletLinker.lengthRatio(t.last, t.end) >= config.keepReferenceBelow ? t.last : t.end
        }
        // Tracklets by piece, for the candidates at one boundary.
        var byPiece: [Int64: [Int]] = [:]
        for k in tracklets.indices where chainOf[k] >= 0 { byPiece[piece[k], default: []].append(k) }
        var found: [(into: Int, from: Int, cost: Double)] = []
        for c in tracklets.indices where chainOf[c] >= 0 {
            // Start side: `c` linked from `a` in the piece before; `b` an end there whose chain stops.
            if let a = previous[c], piece[a] == piece[c] - 1, let frames = tracklets[c].headPieces {
                for b in byPiece[piece[a]] ?? [] where b != a && next[b] == nil && chainOf[b] != chainOf[c]
                    && !together(tracklets[a], tracklets[b]) {
                    let tb = tracklets[b]
                    for f in frames where f.frame > tb.lastFrame && f.frame - tb.lastFrame <= reach {
                        if let cost = twoArms(ended(tb), ended(tracklets[a]), f.pieces, missed: f.frame - tb.lastFrame - 1, config: config) {
                            found.append((chainOf[c], chainOf[b], cost))
                            break
                        }
                    }
                }
            }
            // End side: `c` linked to `a` in the piece after; `b` a start there whose chain begins.
            if let a = next[c], piece[a] == piece[c] + 1, let frames = tracklets[c].tailPieces {
                for b in byPiece[piece[a]] ?? [] where b != a && previous[b] == nil && chainOf[b] != chainOf[c]
                    && !together(tracklets[a], tracklets[b]) {
                    let tb = tracklets[b]
                    for f in frames.reversed() where f.frame < tb.firstFrame && tb.firstFrame - f.frame <= reach {
                        if let cost = twoArms(tb.first, tracklets[a].first, f.pieces, missed: tb.firstFrame - f.frame - 1, config: config) {
                            found.append((chainOf[c], chainOf[b], cost))
                            break
                        }
                    }
                }
            }
        }
        // `b`'s chain carries no other history: it lies within the pieces the carrying chain covers.
        let covered = chains.map { Set($0.map { piece[$0] }) }
        found = found.filter { f in chains[f.from].allSatisfy { covered[f.into].contains(piece[$0]) } }
        found.sort { ($0.cost, $0.from, $0.into) < ($1.cost, $1.from, $1.into) }
        return TEMChainJoin.apply(found.map { ($0.into, $0.from) }, chains: chains, tracklets: tracklets)
    }

    /// Whether `x` and `y` were seen in one frame (`TEMTracklet.seen`; unknown counts as seen):
    /// their piece then had both in view and its own tests (`joinTurns`, `joinCollinearPieces`)
    /// left them two.
    static func together(_ x: TEMTracklet, _ y: TEMTracklet) -> Bool {
        guard let sx = x.seen, let sy = y.seen else { return true }
        let lo = max(x.firstFrame, y.firstFrame), hi = min(x.lastFrame, y.lastFrame)
        guard lo <= hi else { return false }
        return (lo...hi).contains { TEMTracklet.bit(sx, $0 - x.firstFrame) && TEMTracklet.bit(sy, $0 - y.firstFrame) }
    }

    /// Whether curve `b` continues one of a frame's `pieces` and curve `a` (the linked
    /// tracklet's) another — each within the frame link's gate (`missed` frames unseen) of its
    /// own piece and nearer it than the other's, `a` and `b` not side by side — with `b`'s link
    /// cost; nil otherwise.
    static func twoArms(_ b: [TEMPoint], _ a: [TEMPoint], _ pieces: [[TEMPoint]], missed: Int, config: TEMTrackerConfig) -> Double? {
        guard pieces.count >= 2, b.count >= 2, a.count >= 2 else { return nil }
        if let g = CurveMatching.glide(a, b), g.overlap >= 0.5 { return nil }
        let gate = config.gate + config.gatePerMissedFrame * Double(missed)
        let cb = pieces.map { CurveMatching.cost($0, b) }, ca = pieces.map { CurveMatching.cost($0, a) }
        var best: Double?
        for p in pieces.indices where cb[p].closeness <= gate {
            for q in pieces.indices where q != p && ca[q].closeness <= gate
                && cb[p].cost < cb[q].cost && ca[q].cost < ca[p].cost {
                best = min(best ?? .infinity, cb[p].cost)
            }
        }
        return best
    }
}
