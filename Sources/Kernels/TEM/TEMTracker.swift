#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dislocation followed over frames.
public struct TEMTrack: Codable, Sendable, Equatable {
    public var id: Int
    /// Frames the track was seen in (increasing) and the index of its curve in each.
    public var frames: [Int]
    public var curveIndices: [Int]
    /// Centroid of the curve per frame, `[x, y]` px.
    public var centroids: [TEMPoint]
    /// Centroid velocity per frame, px/frame (central differences; one-sided at the ends).
    public var velocities: [TEMPoint]
    /// Distance to the nearest roughly parallel curve in the same frame (the pile-up neighbour),
    /// px, or nil when there is none.
    public var neighbourDistances: [Double?]
    public var firstFrame: Int { frames.first ?? 0 }
    public var lastFrame: Int { frames.last ?? 0 }
}

/// Settings of the tracker.
public struct TEMTrackerConfig: Codable, Sendable, Equatable {
    /// Largest curve-to-curve distance (px) for a link.
    public var gate = 6.0
    /// Frames a track may go unseen before it ends.
    public var maxGap = 3
    /// After the frame-by-frame pass, a track that ended is joined to one that starts at most this
    /// many frames later near where it ended (a dislocation lost for a while — merged with a
    /// neighbour by the detector, say — keeps its identity). 0 turns stitching off.
    public var stitchFrames = 15
    /// A matched curve shorter than this fraction of the track's reference curve does not replace
    /// it (for up to `maxGap` frames in a row).
    public var keepReferenceBelow = 0.8
    /// Tracks seen in fewer frames than this are dropped as noise (flickering false detections);
    /// never more than the video's frame count.
    public var minTrackFrames = 5
    /// Curves whose chords differ by less than this angle count as pile-up neighbours.
    public var neighbourMaxAngleDegrees = 25.0
    public init() {}
}

/// Links per-frame curves into tracks (the merge step): frame by frame, a Hungarian assignment
/// between the live tracks' last curves and the new curves, gated, with gaps of up to `maxGap`
/// frames. Jerky glide makes velocity a poor predictor, so the last seen curve is the prediction.
public enum TEMTracker {
    /// `curves[f]` are the curves of frame f (points of each).
    public static func track(_ curves: [[[TEMPoint]]], config: TEMTrackerConfig = TEMTrackerConfig()) -> [TEMTrack] {
        // `last` is the curve the next frame is matched against. A much shorter detection (a
        // fragment) does not replace a whole one: matching a fragment's track against the
        // next whole curve is unreliable, matching the whole curve is not.
        struct Live { var id: Int; var last: [TEMPoint]; var lastLength: Double; var lastFrame: Int; var shortRun: Int }
        var live: [Live] = []
        var tracks: [TEMTrack] = []
        for (f, frame) in curves.enumerated() {
            live.removeAll { f - $0.lastFrame > config.maxGap + 1 }
            let assignment = CurveMatching.match(frame, live.map(\.last), gate: config.gate)
            for (ci, c) in frame.enumerated() {
                if let li = assignment[ci] {
                    let length = TEMPolyline.length(c)
                    if length >= config.keepReferenceBelow * live[li].lastLength || live[li].shortRun >= config.maxGap {
                        live[li].last = c
                        live[li].lastLength = length
                        live[li].shortRun = 0
                    } else {
                        live[li].shortRun += 1
                    }
                    live[li].lastFrame = f
                    tracks[live[li].id].frames.append(f)
                    tracks[live[li].id].curveIndices.append(ci)
                } else {
                    let id = tracks.count
                    tracks.append(TEMTrack(id: id, frames: [f], curveIndices: [ci], centroids: [], velocities: [],
                                           neighbourDistances: []))
                    live.append(Live(id: id, last: c, lastLength: TEMPolyline.length(c), lastFrame: f, shortRun: 0))
                }
            }
        }
        tracks = stitch(tracks, curves: curves, config: config)
        let minFrames = min(config.minTrackFrames, curves.count)
        tracks = tracks.filter { $0.frames.count >= minFrames }
        for t in tracks.indices { tracks[t].id = t }
        let cosMax = cos(config.neighbourMaxAngleDegrees * .pi / 180)
        for t in tracks.indices {
            let tr = tracks[t]
            let cs = zip(tr.frames, tr.curveIndices).map { TEMPolyline.centroid(curves[$0][$1]) }
            tracks[t].centroids = cs
            tracks[t].velocities = cs.indices.map { i in
                let a = max(0, i - 1), b = min(cs.count - 1, i + 1)
                guard b > a else { return .zero }
                return (cs[b] - cs[a]) / Double(tr.frames[b] - tr.frames[a])
            }
            tracks[t].neighbourDistances = zip(tr.frames, tr.curveIndices).map { f, ci in
                neighbourDistance(curves[f], index: ci, cosMax: cosMax)
            }
        }
        return tracks
    }

    /// Joins track ends to later track starts (greedy by cost, each end and start used once).
    static func stitch(_ tracks: [TEMTrack], curves: [[[TEMPoint]]], config: TEMTrackerConfig) -> [TEMTrack] {
        guard config.stitchFrames > 0, tracks.count > 1 else { return tracks }
        var candidates: [(cost: Double, a: Int, b: Int)] = []
        for a in tracks.indices {
            let endA = tracks[a].lastFrame
            let lastA = curves[endA][tracks[a].curveIndices.last!]
            for b in tracks.indices where b != a {
                let startB = tracks[b].firstFrame
                guard startB > endA, startB - endA <= config.stitchFrames else { continue }
                let c = CurveMatching.cost(lastA, curves[startB][tracks[b].curveIndices[0]])
                if c.closeness <= config.gate { candidates.append((c.cost, a, b)) }
            }
        }
        var next = [Int](repeating: -1, count: tracks.count), prev = next
        for c in candidates.sorted(by: { $0.cost < $1.cost }) where next[c.a] < 0 && prev[c.b] < 0 {
            next[c.a] = c.b
            prev[c.b] = c.a
        }
        var out: [TEMTrack] = []
        for start in tracks.indices where prev[start] < 0 {
            var t = tracks[start]
            var k = next[start]
            while k >= 0 {
                t.frames += tracks[k].frames
                t.curveIndices += tracks[k].curveIndices
                k = next[k]
            }
            t.id = out.count
            out.append(t)
        }
        return out
    }

    /// Mean distance from curve `index` to the nearest other curve of the frame running in about
    /// the same direction.
    static func neighbourDistance(_ frame: [[TEMPoint]], index: Int, cosMax: Double) -> Double? {
        let me = frame[index]
        guard let a0 = me.first, let a1 = me.last else { return nil }
        let da = a1 - a0
        let la = TEMPolyline.norm(da)
        var best: Double? = nil
        for (j, other) in frame.enumerated() where j != index {
            guard let b0 = other.first, let b1 = other.last else { continue }
            let db = b1 - b0
            let lb = TEMPolyline.norm(db)
            guard la > 0, lb > 0, abs(da.x * db.x + da.y * db.y) / (la * lb) >= cosMax else { continue }
            let d = TEMPolyline.meanClosestDistance(from: me, to: other)
            if best == nil || d < best! { best = d }
        }
        return best
    }
}
