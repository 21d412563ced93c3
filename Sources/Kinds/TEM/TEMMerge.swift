import Foundation
import Kernels
import Shared

/// The `tem` merge, run once every shard has ended: gathers the curves the shards handed over
/// (and re-analyses the good frames of dead shards, so a corrupt frame costs only itself),
/// links them into tracks (`TEMTracker`), finds each curve's pile-up neighbour, writes the
/// report (overlay PNGs, SVG plot) and returns the merge-owned rows: `tem_track_results`,
/// `tem_track_point_results` (per-curve track ids, velocities, pair distances),
/// `tem_report_results`, and the salvaged frames' `tem_frame_results`/`tem_dislocation_results`.
enum TEMMerge {
    /// Frames of the video (or of a partial's range, from video frame `first`): for each frame
    /// its file and curves (by dislocation id); array index = frame index − `first`.
    struct Video {
        var first = 0
        var files: [String?]
        var curves: [[[TEMPoint]]]
        /// Stage drift per frame relative to frame 0 (0 where unknown).
        var drift: [TEMPoint]

        init(frames: Int, first: Int = 0) {
            self.first = first
            files = Array(repeating: nil, count: frames)
            curves = Array(repeating: [], count: frames)
            drift = Array(repeating: .zero, count: frames)
        }

        mutating func add(_ frame: TEMCurvesFile.Frame) {
            let i = frame.index - first
            guard i >= 0, i < files.count else { return }
            files[i] = frame.file
            curves[i] = frame.curves
            drift[i] = frame.drift ?? .zero
        }

        var analysedFrames: Int { files.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    }

    static let tables = ["tem_track_results", "tem_track_point_results", "tem_report_results",
                         "tem_frame_results", "tem_dislocation_results"]

    static func run(_ payload: TEMMergePayload, shards: [ShardInput<TEMTaskPayload, TEMShardOutput>],
                    options: TEMJobOptions, context: KindContext) throws -> [ResultRows] {
        var clock = PhaseClock()
        let (video, salvage) = try gather(frames: payload.frames, first: 0, shards: shards, options: options, context: context)
        clock.lap("read")
        let (tracks, coarse) = track(video, options: options)
        clock.lap("track")
        let neighbours = TEMNeighbours.find(video.curves, coarse: coarse, maxAngleDegrees: TEMTrackerConfig().neighbourMaxAngleDegrees)
        clock.lap("neighbours")
        var trackOf: [[Int?]] = video.curves.map { Array(repeating: nil, count: $0.count) }
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f][c] = t.id } }
        let (trackRows, pointRows) = trackRows(tracks, video: video, neighbours: neighbours, trackOf: trackOf, options: options)
        clock.lap("rows")
        let overlays = try TEMReport.writeOverlays(video: video, trackOf: trackOf, options: options, context: context)
        let plot = try TEMReport.writePlot(video: video, tracks: tracks, neighbours: neighbours, options: options, context: context)
        clock.lap("report")
        let reportRows = ResultRows(table: "tem_report_results", columns: [
            "n_frames", "n_dislocations", "n_tracks", "overlay_files", "plot_file", "salvaged_frames",
        ], rows: [[
            video.analysedFrames, Int64(video.curves.reduce(0) { $0 + $1.count }), tracks.count, try PGJSON(overlays),
            plot, salvage.frames.rows.count,
        ]])
        context.logger.info("tem merge done", metadata: [
            "job.id": "\(context.jobId)", "tem.frames": "\(video.analysedFrames)", "tem.tracks": "\(tracks.count)",
            "tem.salvaged": "\(salvage.frames.rows.count)", "tem.timings": "\(clock.description)",
        ])
        return [trackRows, pointRows, reportRows, salvage.frames, salvage.dislocations]
    }

    /// Phase 1: the curves of every analysed frame — from the shards' curves files, and for
    /// dead shards from re-analysing their readable frames (whose rows the merge then owns).
    static func gather(frames: Int, first: Int, shards: [ShardInput<TEMTaskPayload, TEMShardOutput>],
                       options: TEMJobOptions, context: KindContext) throws -> (Video, TEMFrameAnalysis) {
        var video = Video(frames: frames, first: first)
        let handed = shards.compactMap { $0.state == .done ? $0.output : nil }
        // Reading is mostly parsing floats: one file per thread.
        let files = try Parallel.map(handed.count) { try TEMCurvesFile.read(try context.output.check(handed[$0].curvesFile)) }
        for frames in files { for frame in frames { video.add(frame) } }
        var salvage = TEMFrameAnalysis(options: options, context: context)
        for shard in shards where shard.state != .done {
            for failure in salvage.analyse(shard.payload) {
                context.logger.notice("tem frame left out", metadata: ["frame.index": "\(failure.index)", "frame.error": "\(failure.error)"])
            }
        }
        for frame in salvage.analysed { video.add(frame) }
        return (video, salvage)
    }

    /// Phase 2: tracks. The tracker's cost grows with the square of the points per curve: it
    /// links coarse copies (24 points: ≈ 6 px apart on a 130 px curve, chord error ≈ 0.1 px,
    /// far below the gate), and centroids and velocities are then recomputed from the full curves.
    static func track(_ video: Video, options: TEMJobOptions) -> (tracks: [TEMTrack], coarse: [[[TEMPoint]]]) {
        let (coarse, registered) = linkingCurves(video, options: options)
        var tracks = TEMTracker.track(registered, config: trackerConfig(options))
        measure(&tracks, video: video)
        return (tracks, coarse)
    }

    /// The tracker's settings from the job's params.
    static func trackerConfig(_ options: TEMJobOptions) -> TEMTrackerConfig {
        var config = TEMTrackerConfig()
        if let v = options.trackGate { config.gate = v }
        if let v = options.maxGap { config.maxGap = v }
        if let v = options.stitchFrames { config.stitchFrames = v }
        if let v = options.minTrackFrames { config.minTrackFrames = v }
        config.commonMotion = options.commonMotion
        config.joinCornerPieces = options.cornerPieces
        config.gapLikelihood = options.gapLikelihood
        config.absorbPieces = options.absorbPieces
        config.absorbedEndsStayEnds = options.absorbedEndsStayEnds
        config.joinTurns = options.joinTurns
        config.doubleLineOrder = options.doubleLineOrder
        if options.doubleLineOrder {
            config.doubleLineOrderRefusable = true
            config.doubleLineOrderByFrame = true
        }
        // Pile-up neighbours are found by TEMNeighbours (with the neighbour's identity, which
        // the tracker does not return); an angle of 0° makes the tracker skip its own copy.
        config.neighbourMaxAngleDegrees = 0
        return config
    }

    /// The curves linking sees: coarse copies (`trackPoints` points), and those in the specimen's
    /// coordinates (the stage drift removed, so a jolt of the stage does not look like every
    /// dislocation jumping; stored points stay in the image's).
    static func linkingCurves(_ video: Video, options: TEMJobOptions) -> (coarse: [[[TEMPoint]]], registered: [[[TEMPoint]]]) {
        let coarse = video.curves.map { $0.map { TEMPolyline.resample($0, count: min($0.count, options.trackPoints)) } }
        let registered = zip(coarse, video.drift).map { curves, d in curves.map { $0.map { $0 - d } } }
        return (coarse, registered)
    }

    /// Centroids (image coordinates) and velocities (specimen coordinates, central differences)
    /// of tracks whose frames index `video`'s arrays.
    /// A track may hold several pieces of its line in a frame (`TEMTrackerConfig.joinFragments`):
    /// each piece keeps its own centroid, the velocity is the whole line's (all its pieces).
    static func measure(_ tracks: inout [TEMTrack], video: Video) {
        for t in tracks.indices {
            let frames = tracks[t].frames
            tracks[t].centroids = zip(frames, tracks[t].curveIndices).map { TEMPolyline.centroid(video.curves[$0][$1]) }
            // Distinct frames in order, and the line's centroid in each (specimen coordinates).
            var distinct: [Int] = [], points: [[TEMPoint]] = [], slot: [Int] = []
            for (f, c) in zip(frames, tracks[t].curveIndices) {
                if distinct.last != f { distinct.append(f); points.append([]) }
                points[points.count - 1] += video.curves[f][c]
                slot.append(distinct.count - 1)
            }
            let fixed = zip(distinct, points).map { TEMPolyline.centroid($1) - video.drift[$0] }
            let perFrame = fixed.indices.map { i -> TEMPoint in
                let a = max(0, i - 1), b = min(fixed.count - 1, i + 1)
                return b > a ? (fixed[b] - fixed[a]) / Double(distinct[b] - distinct[a]) : .zero
            }
            tracks[t].velocities = slot.map { perFrame[$0] }
        }
    }

    /// Phase 3: one row per track and one per tracked curve (centroid, velocity, neighbour).
    static func trackRows(_ tracks: [TEMTrack], video: Video, neighbours: [[TEMNeighbours.Neighbour?]], trackOf: [[Int?]],
                          options: TEMJobOptions) -> (tracks: ResultRows, points: ResultRows) {
        var trackRows = ResultRows(table: "tem_track_results", columns: [
            "track_id", "first_frame", "last_frame", "n_frames", "mean_speed_px", "path_length_px", "mean_length_px",
        ])
        var pointRows = ResultRows(table: "tem_track_point_results", columns: [
            "frame_index", "dislocation_id", "track_id", "x", "y", "vx", "vy", "neighbour_dislocation_id",
            "neighbour_track_id", "pair_distance_px", "pair_distance_nm",
        ])
        for t in tracks {
            let speeds = t.velocities.map { TEMPolyline.norm($0) }
            let path = zip(t.centroids.dropFirst(), t.centroids).reduce(0.0) { $0 + TEMPolyline.dist($1.0, $1.1) }
            let meanLength = zip(t.frames, t.curveIndices).reduce(0.0) { $0 + TEMPolyline.length(video.curves[$1.0][$1.1]) } / Double(max(1, t.frames.count))
            trackRows.rows.append([
                Int64(t.id), t.firstFrame, t.lastFrame, t.frames.count,
                speeds.isEmpty ? nil : speeds.reduce(0, +) / Double(speeds.count), path, meanLength,
            ])
            for (k, (f, c)) in zip(t.frames, t.curveIndices).enumerated() {
                let n = neighbours[f][c]
                pointRows.rows.append([
                    f, c, Int64(t.id), t.centroids[k].x, t.centroids[k].y, t.velocities[k].x, t.velocities[k].y,
                    n?.index, n.flatMap { trackOf[f][$0.index] }.map { Int64($0) }, n?.distance,
                    n.flatMap { n in options.pixelSizeNm.map { n.distance * $0 } },
                ])
            }
        }
        return (trackRows, pointRows)
    }
}

/// Wall time per phase, for the merge's log line (`read=0.120s track=…`).
struct PhaseClock: CustomStringConvertible {
    private let clock = ContinuousClock()
    private var start: ContinuousClock.Instant
    private var laps: [String] = []

    init() { start = clock.now }

    mutating func lap(_ name: String) {
        let now = clock.now
        let d = now - start
        laps.append(name + String(format: "=%.3fs", Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
        start = now
    }

    var description: String { laps.joined(separator: " ") }
}
