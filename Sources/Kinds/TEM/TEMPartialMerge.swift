import Foundation
import Kernels
import Shared

/// A `tem` partial merge: the first level of the hierarchical merge (`PartialMerging`). Gathers
/// the curves of its range of shards (re-analysing the good frames of dead shards), links them
/// into tracklets (`TEMPiecewiseTracking.trackPiece`, in the specimen's coordinates), finds each
/// curve's pile-up neighbour, and writes the per-curve rows with the tracklet's id
/// (`tem_track_point_results.tracklet_id`; the final merge maps tracklets to tracks). Hands on
/// tracklet summaries only, so the final step stays small however long the video.
enum TEMPartialMerge {
    static let tables = ["tem_track_point_results", "tem_frame_results", "tem_dislocation_results"]

    static func run(_ range: PartialRange, shards: [ShardInput<TEMTaskPayload, TEMShardOutput>], options: TEMJobOptions,
                    context: KindContext) throws -> ShardResult<TEMPartialOutput> {
        var clock = PhaseClock()
        guard let first = shards.map(\.payload.firstFrame).min(),
              let end = shards.map({ $0.payload.firstFrame + $0.payload.files.count }).max() else {
            return ShardResult(output: TEMPartialOutput(firstFrame: 0, analysedFrames: 0, dislocations: 0, salvagedFrames: 0,
                                                        tracklets: [], overlays: []))
        }
        let videoFrames = shards.compactMap(\.payload.videoFrames).max() ?? end
        let (video, salvage) = try TEMMerge.gather(frames: end - first, first: first, shards: shards, options: options, context: context)
        clock.lap("read")
        let (coarse, registered) = TEMMerge.linkingCurves(video, options: options)
        var (tracks, tracklets) = TEMPiecewiseTracking.trackPiece(registered, firstFrame: first, piece: range.index,
                                                                   config: TEMMerge.trackerConfig(options))
        // Local frame numbers for the measures below.
        for t in tracks.indices { tracks[t].frames = tracks[t].frames.map { $0 - first } }
        TEMMerge.measure(&tracks, video: video)
        clock.lap("track")
        let neighbours = TEMNeighbours.find(video.curves, coarse: coarse, maxAngleDegrees: TEMTrackerConfig().neighbourMaxAngleDegrees)
        var trackletOf: [[Int64?]] = video.curves.map { Array(repeating: nil, count: $0.count) }
        for (t, s) in zip(tracks, tracklets) { for (f, c) in zip(t.frames, t.curveIndices) { trackletOf[f][c] = s.id } }
        let points = pointRows(tracks, ids: tracklets.map(\.id), video: video, neighbours: neighbours, trackletOf: trackletOf,
                               options: options)
        let step = max(1, videoFrames / 2000)
        let summaries = zip(tracks, tracklets).map { summary($0, $1, video: video, neighbours: neighbours, step: step) }
        let overlays = overlayFrames(video: video, trackletOf: trackletOf, videoFrames: videoFrames, count: options.overlayFrames)
        clock.lap("rows")
        let output = TEMPartialOutput(
            firstFrame: first, analysedFrames: video.analysedFrames, dislocations: video.curves.reduce(0) { $0 + $1.count },
            salvagedFrames: salvage.frames.rows.count, tracklets: summaries, overlays: overlays)
        context.logger.info("tem partial merge done", metadata: [
            "job.id": "\(context.jobId)", "tem.partial": "\(range.index)", "tem.frames": "\(video.analysedFrames)",
            "tem.tracklets": "\(tracklets.count)", "tem.timings": "\(clock.description)",
        ])
        return ShardResult(output: output, rows: [points, salvage.frames, salvage.dislocations])
    }

    /// One row per tracked curve: centroid, velocity, pile-up neighbour, tracklet (track_id is
    /// the final merge's, through `tem_tracklet_results`).
    static func pointRows(_ tracks: [TEMTrack], ids: [Int64], video: TEMMerge.Video, neighbours: [[TEMNeighbours.Neighbour?]],
                          trackletOf: [[Int64?]], options: TEMJobOptions) -> ResultRows {
        var rows = ResultRows(table: "tem_track_point_results", columns: [
            "frame_index", "dislocation_id", "tracklet_id", "x", "y", "vx", "vy", "neighbour_dislocation_id",
            "neighbour_tracklet_id", "pair_distance_px", "pair_distance_nm",
        ])
        for (t, id) in zip(tracks, ids) {
            for (k, (f, c)) in zip(t.frames, t.curveIndices).enumerated() {
                let n = neighbours[f][c]
                rows.rows.append([
                    video.first + f, c, id, t.centroids[k].x, t.centroids[k].y, t.velocities[k].x, t.velocities[k].y,
                    n?.index, n.flatMap { trackletOf[f][$0.index] }, n?.distance,
                    n.flatMap { n in options.pixelSizeNm.map { n.distance * $0 } },
                ])
            }
        }
        return rows
    }

    /// What the final merge keeps of a tracklet (frames of `track` local to `video`).
    static func summary(_ t: TEMTrack, _ tracklet: TEMTracklet, video: TEMMerge.Video, neighbours: [[TEMNeighbours.Neighbour?]],
                        step: Int) -> TEMTrackletSummary {
        var chord = TEMPoint.zero, lengthSum = 0.0
        for (f, c) in zip(t.frames, t.curveIndices) {
            let curve = video.curves[f][c]
            lengthSum += TEMPolyline.length(curve)
            if let a = curve.first, let b = curve.last { chord = TEMReport.orientedSum(chord, b - a) }
        }
        // Steps between frames only (a track may hold several pieces of its line in one frame).
        let path = t.centroids.indices.dropFirst().reduce(0.0) { sum, k in
            t.frames[k] == t.frames[k - 1] ? sum : sum + TEMPolyline.dist(t.centroids[k], t.centroids[k - 1])
        }
        let series = t.frames.indices.filter { (video.first + t.frames[$0]) % step == 0 || $0 == 0 || $0 == t.frames.count - 1 }.map { k in
            TEMSeriesPoint(frame: video.first + t.frames[k], centroid: t.centroids[k],
                           pairDistance: neighbours[t.frames[k]][t.curveIndices[k]]?.distance)
        }
        return TEMTrackletSummary(
            tracklet: tracklet, speedSum: t.velocities.reduce(0) { $0 + TEMPolyline.norm($1) }, lengthSum: lengthSum,
            pathLength: path, firstCentroid: t.centroids.first ?? .zero, lastCentroid: t.centroids.last ?? .zero,
            chord: chord, series: series)
    }

    /// The overlay frames of the video (`count` spread evenly over its frames) that fall in this
    /// range and were analysed, with their curves and tracklets.
    static func overlayFrames(video: TEMMerge.Video, trackletOf: [[Int64?]], videoFrames: Int, count: Int) -> [TEMOverlayFrame] {
        let k = min(count, videoFrames)
        guard k > 0 else { return [] }
        let picks = Set((0..<k).map { k == 1 ? 0 : Int((Double($0) * Double(videoFrames - 1) / Double(k - 1)).rounded()) })
        return picks.sorted().compactMap { f in
            let i = f - video.first
            guard i >= 0, i < video.files.count, let file = video.files[i] else { return nil }
            return TEMOverlayFrame(index: f, file: file, curves: video.curves[i], tracklets: trackletOf[i])
        }
    }
}
