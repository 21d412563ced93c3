import Foundation
import Kernels
import Shared

/// The `tem.merge` task, run once every shard has finished: re-analyses the good frames of dead
/// shards (so a corrupt frame costs only itself), reads every curve of the job in frame order,
/// links them into tracks (`TEMTracker`), finds each curve's pile-up neighbour, writes the
/// report (overlay PNGs, SVG plot) and returns the merge-owned rows: `tem_track_results`,
/// `tem_track_point_results` (per-curve track ids, velocities, pair distances),
/// `tem_report_results`, and the salvaged frames' `tem_frame_results`/`tem_dislocation_results`.
enum TEMMerge {
    /// Frames of the video: for each frame index its file and curves (by dislocation id).
    struct Video {
        var files: [String?]
        var curves: [[[TEMPoint]]]
    }

    static func run(_ task: ClaimedTask, params: JobParams, options: TEMJobOptions, context: TaskContext) throws -> TaskOutput {
        guard let output = params.values["output_dir"], !output.isEmpty else {
            throw TaskError("tem job has no output_dir parameter (the coordinator sets it)")
        }
        let merge: TEMMergePayload
        do {
            merge = try JSONDecoder().decode(TEMMergePayload.self, from: Data(task.payload.utf8))
        } catch {
            throw TaskError("tem merge task \(task.id): unreadable payload: \(error)")
        }
        let db = context.database()
        let clock = ContinuousClock()
        var phase = clock.now
        var timings: [String] = []
        func lap(_ name: String) {
            let now = clock.now
            let d = now - phase
            timings.append(name + String(format: "=%.3fs", Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
            phase = now
        }
        let dead = try db.run { conn -> [TEMTaskPayload] in
            let r = try conn.exec("SELECT payload::text FROM tasks WHERE job_id = $1 AND role = 'shard' AND state = 'dead' ORDER BY id", [task.jobId])
            return try (0..<r.rowCount).map { try JSONDecoder().decode(TEMTaskPayload.self, from: Data((r.string($0, 0) ?? "{}").utf8)) }
        }

        // Salvage: the good frames of ranges whose shard died (their rows are owned by the merge).
        var salvage = TEMFrameAnalysis(options: options, jobInput: task.jobInput, keepCurves: true)
        var skipped = 0
        for payload in dead {
            let failures = salvage.analyse(payload)
            skipped += failures.count
            for failure in failures {
                context.logger.notice("tem frame left out", metadata: ["frame.index": "\(failure.index)", "frame.error": "\(failure.error)"])
            }
        }

        var video = Video(files: Array(repeating: nil, count: merge.frames), curves: Array(repeating: [], count: merge.frames))
        try db.run { conn in
            let frames = try conn.exec(
                "SELECT frame_index, frame_file FROM tem_frame_results WHERE job_id = $1 AND task_id <> $2", [task.jobId, task.id])
            for row in 0..<frames.rowCount {
                guard let f = frames.int(row, 0), f >= 0, f < merge.frames else { continue }
                video.files[f] = frames.string(row, 1)
            }
            let r = try conn.exec(
                """
                SELECT frame_index, points::text FROM tem_dislocation_results
                WHERE job_id = $1 AND task_id <> $2 ORDER BY frame_index, dislocation_id
                """, [task.jobId, task.id])
            // Parsing ~100 KB of text per frame: spread over the cores (the result is read-only).
            let parsed = try TEMPointsText.parse(rows: r.rowCount) { r.string($0, 1) ?? "[]" }
            for row in 0..<r.rowCount {
                guard let f = r.int(row, 0), f >= 0, f < merge.frames else { continue }
                video.curves[f].append(parsed[row])
            }
        }
        lap("read")
        for row in salvage.frames.rows {
            guard let f = row[0] as? Int, let file = row[1] as? String, f < merge.frames else { continue }
            video.files[f] = file
            video.curves[f] = salvage.curves[f] ?? []
        }

        var tracker = TEMTrackerConfig()
        if let v = options.trackGate { tracker.gate = v }
        if let v = options.maxGap { tracker.maxGap = v }
        if let v = options.stitchFrames { tracker.stitchFrames = v }
        if let v = options.minTrackFrames { tracker.minTrackFrames = v }
        lap("salvage")
        // The tracker's cost grows with the square of the points per curve: it links coarse
        // copies (24 points: ≈ 6 px apart on a 130 px curve, chord error ≈ 0.1 px, far below the
        // gate), and centroids and velocities are then recomputed from the full curves.
        let coarse = video.curves.map { $0.map { TEMPolyline.resample($0, count: min($0.count, options.trackPoints)) } }
        // Pile-up neighbours are found below (with the neighbour's identity, which the tracker
        // does not return); an angle of 0° makes the tracker skip its own copy of that work.
        var linking = tracker
        linking.neighbourMaxAngleDegrees = 0
        var tracks = TEMTracker.track(coarse, config: linking)
        for t in tracks.indices {
            let cs = zip(tracks[t].frames, tracks[t].curveIndices).map { TEMPolyline.centroid(video.curves[$0][$1]) }
            tracks[t].centroids = cs
            tracks[t].velocities = cs.indices.map { i in
                let a = max(0, i - 1), b = min(cs.count - 1, i + 1)
                return b > a ? (cs[b] - cs[a]) / Double(tracks[t].frames[b] - tracks[t].frames[a]) : .zero
            }
        }
        lap("track")
        let neighbours = TEMNeighbours.find(video.curves, coarse: coarse, maxAngleDegrees: tracker.neighbourMaxAngleDegrees)
        lap("neighbours")

        var trackOf: [[Int?]] = video.curves.map { Array(repeating: nil, count: $0.count) }
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f][c] = t.id } }

        var trackRows = ResultRows(table: "tem_track_results", columns: [
            "track_id", "first_frame", "last_frame", "n_frames",
            "mean_speed_px", "path_length_px", "mean_length_px",
        ])
        var pointRows = ResultRows(table: "tem_track_point_results", columns: [
            "frame_index", "dislocation_id", "track_id", "x",
            "y", "vx", "vy",
            "neighbour_dislocation_id", "neighbour_track_id",
            "pair_distance_px", "pair_distance_nm",
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

        lap("rows")
        let overlays = try TEMReport.writeOverlays(video: video, trackOf: trackOf, options: options, outputDirectory: output,
                                                  jobInput: task.jobInput)
        lap("overlays")
        let plot = try TEMReport.writePlot(video: video, tracks: tracks, neighbours: neighbours, options: options,
                                           outputDirectory: output, jobId: task.jobId)
        lap("plot")
        let analysed = video.files.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        let reportRows = ResultRows(table: "tem_report_results", columns: [
            "n_frames", "n_dislocations", "n_tracks", "overlay_files",
            "plot_file", "salvaged_frames",
        ], rows: [[
            analysed, Int64(video.curves.reduce(0) { $0 + $1.count }), tracks.count, try PGJSON(overlays),
            plot, salvage.frames.rows.count,
        ]])
        context.logger.info("tem merge done", metadata: [
            "job.id": "\(task.jobId)", "tem.frames": "\(analysed)", "tem.tracks": "\(tracks.count)",
            "tem.salvaged": "\(salvage.frames.rows.count)", "tem.skipped": "\(skipped)", "tem.timings": "\(timings.joined(separator: " "))",
        ])
        return TaskOutput(results: [trackRows, pointRows, reportRows, salvage.frames, salvage.dislocations])
    }
}

/// Each curve's pile-up neighbour in its frame: the nearest other curve running in about the
/// same direction (chords within `maxAngleDegrees`), by mean closest-point distance from the
/// curve to it — the tracker's criterion, with the neighbour's index kept (the kernel's
/// `TEMTracker` computes the distance but not which curve it is to). Candidates are compared
/// against the others' coarse copies (see the tracker); the chosen one's distance is exact.
enum TEMNeighbours {
    struct Neighbour: Equatable {
        var index: Int
        var distance: Double
    }

    /// For every frame (in parallel over frames).
    static func find(_ curves: [[[TEMPoint]]], coarse: [[[TEMPoint]]], maxAngleDegrees: Double) -> [[Neighbour?]] {
        let result = UnsafeMutableBufferPointer<[Neighbour?]>.allocate(capacity: curves.count)
        result.initialize(repeating: [])
        defer { result.deinitialize(); result.deallocate() }
        let threads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        let out = UncheckedBuffer(result)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for f in stride(from: worker, to: curves.count, by: threads) {
                out.buffer[f] = find(curves[f], coarse: coarse[f], maxAngleDegrees: maxAngleDegrees)
            }
        }
        return Array(result)
    }

    static func find(_ curves: [[TEMPoint]], coarse: [[TEMPoint]], maxAngleDegrees: Double) -> [Neighbour?] {
        let cosMax = cos(maxAngleDegrees * .pi / 180)
        let bounds = curves.map(CurveMatching.bounds)
        let chords = curves.map { c -> TEMPoint in
            guard let a = c.first, let b = c.last else { return .zero }
            return b - a
        }
        return curves.indices.map { i -> Neighbour? in
            let la = TEMPolyline.norm(chords[i])
            guard la > 0 else { return nil }
            var best: Neighbour?
            for j in curves.indices where j != i {
                let lb = TEMPolyline.norm(chords[j])
                guard lb > 0, abs(chords[i].x * chords[j].x + chords[i].y * chords[j].y) / (la * lb) >= cosMax else { continue }
                // The gap between the boxes bounds every point distance from below.
                let gap = TEMPoint(max(0, max(bounds[j].0.x - bounds[i].1.x, bounds[i].0.x - bounds[j].1.x)),
                                   max(0, max(bounds[j].0.y - bounds[i].1.y, bounds[i].0.y - bounds[j].1.y)))
                if let best, TEMPolyline.norm(gap) >= best.distance { continue }
                let d = TEMPolyline.meanClosestDistance(from: coarse[i], to: coarse[j])
                if best == nil || d < best!.distance { best = Neighbour(index: j, distance: d) }
            }
            // The chosen neighbour's distance is measured on the full curve.
            if var chosen = best {
                chosen.distance = TEMPolyline.meanClosestDistance(from: curves[i], to: curves[chosen.index])
                return chosen
            }
            return nil
        }
    }
}

/// Lets threads write disjoint elements of one buffer.
private struct UncheckedBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}
