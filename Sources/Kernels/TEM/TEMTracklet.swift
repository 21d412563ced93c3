/// What the global linking needs to know of a piece of track (a tracklet): when it starts and
/// ends, the shape it has there and how it was moving. Summaries, not every curve: linking a
/// whole video then costs per tracklet, not per frame.
///
/// Curves and velocities are in the specimen's coordinates (stage drift removed).
public struct TEMTracklet: Codable, Sendable, Equatable {
    /// Unique in the video (a partial merge numbers its own: `TEMTracklet.id(piece:local:)`).
    public var id: Int64
    public var firstFrame: Int
    public var lastFrame: Int
    /// Frames it was seen in.
    public var frames: Int
    /// A representative curve of its first (last) frames and the frame it is from: the one
    /// closest to the tracklet's median length (a fragment, or a curve merged with a neighbour,
    /// says little about the shape).
    public var start: [TEMPoint]
    public var startFrame: Int
    public var end: [TEMPoint]
    public var endFrame: Int
    /// Centroid velocity over its first (last) few frames, px/frame.
    public var startVelocity: TEMPoint
    public var endVelocity: TEMPoint
    /// The curves of its first and last frames: where it was when it started and ended.
    public var first: [TEMPoint]
    public var last: [TEMPoint]
    /// True when it ended because a concurrent track took over its line (`TEMTrack.endAbsorbed`).
    public var endAbsorbed: Bool?
    /// The frames it was seen in, a bit set from `firstFrame` on (bit k of word k / 32: frame
    /// `firstFrame + k`): tells tracks that take turns on a line from tracks side by side
    /// (`TEMAlternatingTracks`). nil in summaries written before it existed.
    public var seen: [UInt32]?
    /// (`TEMTrackerConfig.collinearAcrossPieces`) The curves of its first and last `endFrames`
    /// frames seen, and those frames: the linker reads a cut line's two pieces against the whole
    /// line a neighbouring piece saw (`TEMCutAcrossPieces`). nil otherwise (they cost the final
    /// merge's input).
    public var head: [[TEMPoint]]?, headFrames: [Int]?, tail: [[TEMPoint]]?, tailFrames: [Int]?
    /// (`TEMTrackerConfig.boundaryPieces`) The frames within the tracker's reach of its first
    /// (last) frame where it holds its line in two or more pieces, with those pieces: the
    /// linker continues each piece's tracklet on the other side of a boundary into it
    /// (`TEMBoundaryPieces`). nil otherwise.
    public var headPieces: [PiecesInFrame]?, tailPieces: [PiecesInFrame]?

    /// A frame's pieces of the tracklet's line (`headPieces`, `tailPieces`).
    public struct PiecesInFrame: Codable, Sendable, Equatable {
        public var frame: Int
        public var pieces: [[TEMPoint]]
        public init(frame: Int, pieces: [[TEMPoint]]) { self.frame = frame; self.pieces = pieces }
    }

    public init(id: Int64, firstFrame: Int, lastFrame: Int, frames: Int, start: [TEMPoint], startFrame: Int,
                end: [TEMPoint], endFrame: Int, startVelocity: TEMPoint, endVelocity: TEMPoint,
                first: [TEMPoint], last: [TEMPoint], endAbsorbed: Bool? = nil, seen: [UInt32]? = nil) {
        self.id = id
        self.firstFrame = firstFrame
        self.lastFrame = lastFrame
        self.frames = frames
        self.start = start
        self.startFrame = startFrame
        self.end = end
        self.endFrame = endFrame
        self.startVelocity = startVelocity
        self.endVelocity = endVelocity
        self.first = first
        self.last = last
        self.endAbsorbed = endAbsorbed
        self.seen = seen
    }

    /// The bit set of `frames` (offsets from the first, ascending) as `seen` holds it.
    static func bits(_ offsets: [Int]) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: (offsets.last ?? 0) / 32 + 1)
        for k in offsets { words[k / 32] |= 1 << UInt32(k % 32) }
        return words
    }

    /// Whether bit `k` of a `seen` set is set (false beyond it).
    static func bit(_ words: [UInt32], _ k: Int) -> Bool {
        k >= 0 && k / 32 < words.count && words[k / 32] & (1 << UInt32(k % 32)) != 0
    }

    /// A video-unique id for the `local`-th tracklet of piece `piece` (room for a million per piece).
    public static func id(piece: Int, local: Int) -> Int64 { Int64(piece) * 1_000_000 + Int64(local) }

    /// Frames at each end the representative curve and the velocity are taken from.
    static let endFrames = 10

    /// The summary of `track` (frames and curve indices into `curves`, which are registered).
    /// `ends`: keep the curves of the first and last `endFrames` frames (`head`, `tail`).
    public static func summarise(_ track: TEMTrack, id: Int64, curves: [[[TEMPoint]]], ends: Bool = false) -> TEMTracklet {
        let points = zip(track.frames, track.curveIndices).map { curves[$0][$1] }
        let lengths = points.map(TEMPolyline.length)
        let median = lengths.sorted()[lengths.count / 2]
        let n = track.frames.count, k = endFrames
        func representative(_ range: Range<Int>) -> Int {
            range.min { abs(lengths[$0] - median) < abs(lengths[$1] - median) }!
        }
        let s = representative(0..<min(k, n)), e = representative(max(0, n - k)..<n)
        func velocity(_ a: Int, _ b: Int) -> TEMPoint {
            guard b > a else { return .zero }
            return (TEMPolyline.centroid(points[b]) - TEMPolyline.centroid(points[a])) / Double(track.frames[b] - track.frames[a])
        }
        let v = min(5, n - 1)
        var t = TEMTracklet(id: id, firstFrame: track.firstFrame, lastFrame: track.lastFrame, frames: n,
                            start: points[s], startFrame: track.frames[s], end: points[e], endFrame: track.frames[e],
                            startVelocity: velocity(0, v), endVelocity: velocity(n - 1 - v, n - 1),
                            first: points[0], last: points[n - 1], endAbsorbed: track.endAbsorbed,
                            seen: bits(track.frames.map { $0 - track.firstFrame }))
        if ends {
            let h = 0..<min(k, n), l = max(0, n - k)..<n
            t.head = h.map { points[$0] }; t.headFrames = h.map { track.frames[$0] }
            t.tail = l.map { points[$0] }; t.tailFrames = l.map { track.frames[$0] }
        }
        return t
    }
}
