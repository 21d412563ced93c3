import Foundation
import Kernels
import Shared

/// The `tem` final merge, the second level of the hierarchical merge: links the tracklets of
/// every partial over the whole video by one global gap-closing assignment on their summaries
/// (`TEMPiecewiseTracking.assignTracks`: glide-direction motion, shape, gaps), numbers the
/// tracks, and writes `tem_tracklet_results` (tracklet → track), `tem_track_results`, the
/// overlays (from the curves the partials handed on) and the plot. It reads no curves file and
/// no frame but the few overlay frames, so its cost grows with the tracklets, not the frames.
enum TEMFinalMerge {
    static let tables = ["tem_tracklet_results", "tem_track_results", "tem_report_results"]

    static func run(_ payload: TEMMergePayload, partials: [ShardInput<PartialRange, TEMPartialOutput>], options: TEMJobOptions,
                    context: KindContext) throws -> [ResultRows] {
        var clock = PhaseClock()
        for p in partials where !p.succeeded {
            context.logger.notice("tem partial merge missing: its frames stay untracked", metadata: [
                "job.id": "\(context.jobId)", "task.id": "\(p.taskId)", "tem.partial": "\(p.payload.index)"])
        }
        let outputs = partials.compactMap(\.output)
        let summaries = outputs.flatMap(\.tracklets)
        let (trackOf, chains) = TEMPiecewiseTracking.assignTracks(summaries.map(\.tracklet), config: TEMMerge.trackerConfig(options),
                                                                   videoFrames: payload.frames)
        clock.lap("link")
        var links = ResultRows(table: "tem_tracklet_results", columns: ["tracklet_id", "track_id"])
        for (s, track) in zip(summaries, trackOf) { links.rows.append([s.tracklet.id, track.map { Int64($0) }]) }
        let trackRows = self.trackRows(chains, summaries: summaries)
        let overlays = try writeOverlays(outputs.flatMap(\.overlays), summaries: summaries, trackOf: trackOf, context: context)
        let plot = try writePlot(chains, summaries: summaries, options: options, frames: payload.frames, context: context)
        clock.lap("report")
        let report = ResultRows(table: "tem_report_results", columns: [
            "n_frames", "n_dislocations", "n_tracks", "overlay_files", "plot_file", "salvaged_frames",
        ], rows: [[
            outputs.reduce(0) { $0 + $1.analysedFrames }, Int64(outputs.reduce(0) { $0 + $1.dislocations }), chains.count,
            try PGJSON(overlays), plot, outputs.reduce(0) { $0 + $1.salvagedFrames },
        ]])
        context.logger.info("tem merge done", metadata: [
            "job.id": "\(context.jobId)", "tem.partials": "\(partials.count)", "tem.tracklets": "\(summaries.count)",
            "tem.tracks": "\(chains.count)", "tem.timings": "\(clock.description)",
        ])
        return [links, trackRows, report]
    }

    /// One row per track from its tracklets' sums (path includes the jumps across their gaps).
    static func trackRows(_ chains: [[Int]], summaries: [TEMTrackletSummary]) -> ResultRows {
        var rows = ResultRows(table: "tem_track_results", columns: [
            "track_id", "first_frame", "last_frame", "n_frames", "mean_speed_px", "path_length_px", "mean_length_px",
        ])
        for (id, chain) in chains.enumerated() {
            let parts = chain.map { summaries[$0] }
            let frames = parts.reduce(0) { $0 + $1.tracklet.frames }
            var path = parts.reduce(0) { $0 + $1.pathLength }
            for (a, b) in zip(parts, parts.dropFirst()) { path += TEMPolyline.dist(a.lastCentroid, b.firstCentroid) }
            rows.rows.append([
                Int64(id), parts[0].tracklet.firstFrame, parts.map(\.tracklet.lastFrame).max()!, frames,
                parts.reduce(0) { $0 + $1.speedSum } / Double(max(1, frames)), path,
                parts.reduce(0) { $0 + $1.lengthSum } / Double(max(1, frames)),
            ])
        }
        return rows
    }

    /// The overlay PNGs, each curve in its track's colour.
    static func writeOverlays(_ frames: [TEMOverlayFrame], summaries: [TEMTrackletSummary], trackOf: [Int?],
                              context: KindContext) throws -> [String] {
        var index: [Int64: Int] = [:]
        for (i, s) in summaries.enumerated() { index[s.tracklet.id] = i }
        var written: [String] = []
        for frame in frames.sorted(by: { $0.index < $1.index }) {
            let path = try context.output.check(context.output.file(String(format: "tem-overlay-f%06d.png", frame.index)))
            // The frame was read by a task already; a file that vanished since only loses its overlay.
            guard let image = TEMFrameDisplay.image(frame.file, context: context) else { continue }
            let tracks = frame.tracklets.map { id in id.flatMap { index[$0] }.flatMap { trackOf[$0] } }
            let rgb = TEMReport.overlay(image, curves: frame.curves, tracks: tracks)
            try AtomicFile.write(path) { try PNGWriter.writeRGB8(path: $0, width: image.width, height: image.height, pixels: rgb) }
            written.append(path)
        }
        return written
    }

    /// `tem-tracks.svg` for the `plot_tracks` longest tracks, from the tracklets' thinned series.
    static func writePlot(_ chains: [[Int]], summaries: [TEMTrackletSummary], options: TEMJobOptions, frames: Int,
                          context: KindContext) throws -> String? {
        guard options.plotTracks > 0 else { return nil }
        let length = chains.map { $0.reduce(0) { $0 + summaries[$1].tracklet.frames } }
        let chosen = chains.indices.sorted { (length[$0], -$0) > (length[$1], -$1) }.prefix(options.plotTracks).sorted()
        var distance: [TEMReport.PlotSeries] = [], position: [TEMReport.PlotSeries] = []
        for id in chosen {
            let parts = chains[id].map { summaries[$0] }
            let u = TEMReport.glideAxis(parts.reduce(TEMPoint.zero) { TEMReport.orientedSum($0, $1.chord) })
            let series = parts.flatMap(\.series)
            position.append((id, series.map { ($0.frame, $0.centroid.x * u.x + $0.centroid.y * u.y) }))
            distance.append((id, series.compactMap { p in p.pairDistance.map { (p.frame, $0) } }))
        }
        let path = try context.output.check(context.output.file("tem-tracks.svg"))
        try AtomicFile.write(path, text: TEMReport.plot(distance: distance, position: position, tracks: chains.count,
                                                        jobId: context.jobId, frames: frames))
        return path
    }
}
