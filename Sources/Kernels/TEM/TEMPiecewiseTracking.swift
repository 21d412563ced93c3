/// Tracking a video in pieces, the way the hierarchical merge runs it: each piece (a contiguous
/// frame range) is tracked on its own into tracklets (`trackPiece`: frame-by-frame assignment and
/// re-identification inside the piece, nothing dropped), then the tracklets of every piece are
/// linked over the whole video from their summaries alone (`assignTracks`), so the last step
/// costs per tracklet, not per frame, and no step grows with the video.
public enum TEMPiecewiseTracking {
    /// Tracklets of one piece: `curves` are the piece's frames (registered), the first being
    /// video frame `firstFrame`. Tracks come back in video frame numbers, numbered 0… in the
    /// piece; summaries carry video-unique ids (`TEMTracklet.id(piece:local:)`).
    public static func trackPiece(_ curves: [[[TEMPoint]]], firstFrame: Int, piece: Int, config: TEMTrackerConfig)
        -> (tracks: [TEMTrack], tracklets: [TEMTracklet]) {
        let linked = linkPiece(curves, config: config)
        let observations = linked.observations
        var tracks = linked.tracks
        let joined = observations?.map(\.curves) ?? curves
        var tracklets: [TEMTracklet] = []
        for t in tracks.indices {
            var s = TEMTracklet.summarise(tracks[t], id: TEMTracklet.id(piece: piece, local: t), curves: joined,
                                          ends: config.joinCollinearPieces && config.collinearAcrossPieces)
            s.firstFrame += firstFrame; s.lastFrame += firstFrame; s.startFrame += firstFrame; s.endFrame += firstFrame
            s.headFrames = s.headFrames?.map { $0 + firstFrame }; s.tailFrames = s.tailFrames?.map { $0 + firstFrame }
            if config.boundaryPieces, let observations {
                (s.headPieces, s.tailPieces) = boundaryPieces(tracks[t], observations, curves: curves, reach: config.maxGap + 1,
                                                              firstFrame: firstFrame)
            }
            tracklets.append(s)
            if let observations { tracks[t] = TEMTracker.expand(tracks[t], observations) }
            tracks[t].frames = tracks[t].frames.map { $0 + firstFrame }
        }
        return (tracks, tracklets)
    }

    /// A piece's observations (nil without `joinFragments`) and its tracks over them (over the
    /// curves without), as `trackPiece` links them: every track kept, whatever its length.
    static func linkPiece(_ curves: [[[TEMPoint]]], config: TEMTrackerConfig)
        -> (observations: [TEMFragmentGrouping.Observations]?, tracks: [TEMTrack]) {
        var inPiece = config
        // A short piece of track at a piece boundary may be the end of a long track: the final
        // step drops short tracks, once they are linked.
        inPiece.minTrackFrames = 1
        inPiece.neighbourMaxAngleDegrees = 0
        // Summaries from the observations (pieces of a line joined), tracks over the curves.
        guard config.joinFragments else { return (nil, TEMTracker.trackObservations(curves, config: inPiece)) }
        var observations = TEMFragmentGrouping.observations(curves)
        if config.doubleLines { observations = TEMDoubleLines.fold(observations, gate: config.gate) }
        var tracks: [TEMTrack]
        (observations, tracks) = TEMTracker.trackJoiningCorners(observations, config: inPiece)
        // A double line's pieces, which change order across the line, linked again as one line.
        if config.doubleLineOrder, let folded = TEMLineOrder.fold(observations, tracks: tracks, config: config) {
            (observations, tracks) = TEMTracker.trackJoiningCorners(folded, config: inPiece)
        }
        return (observations, tracks)
    }

    /// (`TEMTrackerConfig.boundaryPieces`) The frames within `reach` of `track`'s first and last
    /// frame (piece-local, over `observations`) where its observation holds two or more of the
    /// frame's `curves`, with those curves; frames in video numbers. nil for an end without any.
    static func boundaryPieces(_ track: TEMTrack, _ observations: [TEMFragmentGrouping.Observations], curves: [[[TEMPoint]]],
                               reach: Int, firstFrame: Int) -> (head: [TEMTracklet.PiecesInFrame]?, tail: [TEMTracklet.PiecesInFrame]?) {
        func pieces(_ k: Int) -> TEMTracklet.PiecesInFrame? {
            let f = track.frames[k], members = observations[f].members[track.curveIndices[k]]
            guard members.count >= 2 else { return nil }
            return TEMTracklet.PiecesInFrame(frame: f + firstFrame, pieces: members.map { curves[f][$0] })
        }
        let head = track.frames.indices.filter { track.frames[$0] - track.firstFrame < reach }.compactMap(pieces)
        let tail = track.frames.indices.filter { track.lastFrame - track.frames[$0] < reach }.compactMap(pieces)
        return (head.isEmpty ? nil : head, tail.isEmpty ? nil : tail)
    }

    /// The final step: links `tracklets` over the video and numbers the tracks 0… by first frame;
    /// a track seen in fewer than `min(config.minTrackFrames, videoFrames)` frames is dropped.
    /// Returns each tracklet's track id (nil: dropped) and the chains of tracklet indices.
    public static func assignTracks(_ tracklets: [TEMTracklet], config: TEMTrackerConfig, videoFrames: Int)
        -> (trackOf: [Int?], chains: [[Int]]) {
        let next = TEMTrackletLinker.link(tracklets, config: config, overlap: 0)
        let minFrames = min(config.minTrackFrames, videoFrames)
        var chains = TEMTrackletLinker.chains(next)
        if config.joinAlternating { chains = TEMAlternatingTracks.join(chains, tracklets: tracklets, config: config) }
        if config.joinCollinearPieces && config.collinearAcrossPieces {
            chains = TEMCutAcrossPieces.join(chains, tracklets: tracklets, config: config)
        }
        if config.boundaryPieces { chains = TEMBoundaryPieces.join(chains, tracklets: tracklets, config: config) }
        let kept = chains
            .filter { chain in chain.reduce(0) { $0 + tracklets[$1].frames } >= minFrames }
            .sorted { (tracklets[$0[0]].firstFrame, tracklets[$0[0]].id) < (tracklets[$1[0]].firstFrame, tracklets[$1[0]].id) }
        var trackOf = [Int?](repeating: nil, count: tracklets.count)
        for (id, chain) in kept.enumerated() { for k in chain { trackOf[k] = id } }
        return (trackOf, kept)
    }

    /// The whole video in pieces of `framesPerPiece` frames (registered curves), as one list of
    /// tracks (frames and curve indices; no centroids): what the merge path produces, for the
    /// draws benchmark and tests.
    public static func track(_ curves: [[[TEMPoint]]], framesPerPiece: Int, config: TEMTrackerConfig) -> [TEMTrack] {
        let size = max(1, framesPerPiece)
        var pieces: [[TEMTrack]] = [], tracklets: [TEMTracklet] = []
        for (piece, first) in stride(from: 0, to: curves.count, by: size).enumerated() {
            let (tracks, summaries) = trackPiece(Array(curves[first..<min(curves.count, first + size)]), firstFrame: first,
                                                 piece: piece, config: config)
            pieces.append(tracks)
            tracklets += summaries
        }
        let flat = pieces.flatMap { $0 }
        let (_, chains) = assignTracks(tracklets, config: config, videoFrames: curves.count)
        return chains.enumerated().map { id, chain in
            var t = flat[chain[0]]
            for k in chain.dropFirst() {
                t.frames += flat[k].frames
                t.curveIndices += flat[k].curveIndices
            }
            // Tracks joined by turns (`joinAlternating`) interleave: frames back in order.
            if zip(t.frames, t.frames.dropFirst()).contains(where: { $0 >= $1 }) {
                let order = t.frames.indices.sorted { (t.frames[$0], $0) < (t.frames[$1], $1) }
                (t.frames, t.curveIndices) = (order.map { t.frames[$0] }, order.map { t.curveIndices[$0] })
            }
            t.id = id
            return t
        }
    }
}
