import Foundation
import Kernels
import Shared

/// The per-job report of a tem merge, written atomically into the job's output directory:
/// `tem-overlay-f<frame>.png` — sampled frames with every detected curve drawn in its track's
/// colour (white: untracked) — and `tem-tracks.svg` — pair distance and position against frame
/// for the longest tracks.
enum TEMReport {
    /// Overlay PNGs of `options.overlayFrames` frames spread over the analysed ones.
    static func writeOverlays(video: TEMMerge.Video, trackOf: [[Int?]], options: TEMJobOptions, context: KindContext) throws -> [String] {
        let analysed = video.files.indices.filter { video.files[$0] != nil }
        guard options.overlayFrames > 0, !analysed.isEmpty else { return [] }
        let k = min(options.overlayFrames, analysed.count)
        let picks = Set((0..<k).map { k == 1 ? analysed[0] : analysed[Int((Double($0) * Double(analysed.count - 1) / Double(k - 1)).rounded())] })
        var written: [String] = []
        for f in picks.sorted() {
            guard let file = video.files[f] else { continue }
            let path = try context.output.check(context.output.file(String(format: "tem-overlay-f%06d.png", f)))
            // The frame was read by a task already; a file that vanished since only loses its overlay.
            guard let image = TEMFrameDisplay.image(file, context: context) else { continue }
            let rgb = overlay(image, curves: video.curves[f], tracks: trackOf[f])
            try AtomicFile.write(path) { try PNGWriter.writeRGB8(path: $0, width: image.width, height: image.height, pixels: rgb) }
            written.append(path)
        }
        return written
    }

    /// The SVG plot (`tem-tracks.svg`), or nil when `plot_tracks=0`.
    static func writePlot(video: TEMMerge.Video, tracks: [TEMTrack], neighbours: [[TEMNeighbours.Neighbour?]],
                          options: TEMJobOptions, context: KindContext) throws -> String? {
        guard options.plotTracks > 0 else { return nil }
        let path = try context.output.check(context.output.file("tem-tracks.svg"))
        let svg = plot(video: video, tracks: tracks, neighbours: neighbours, count: options.plotTracks, jobId: context.jobId,
                       frames: video.files.count)
        try AtomicFile.write(path, text: svg)
        return path
    }

    /// `v` with one decimal (String(format:) is slow on Linux, and long videos have many vertices).
    static func decimal1(_ v: Double) -> String {
        let scaled = Int((abs(v) * 10).rounded())
        return (v < 0 && scaled != 0 ? "-" : "") + "\(scaled / 10).\(scaled % 10)"
    }

    /// A track's colour: hues spaced by the golden angle, full saturation.
    static func colour(_ track: Int?) -> (UInt8, UInt8, UInt8) {
        guard let track else { return (255, 255, 255) }
        let h = (Double(track) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1) * 6
        let x = 1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)
        let (r, g, b): (Double, Double, Double) =
            switch Int(h) {
            case 0: (1, x, 0)
            case 1: (x, 1, 0)
            case 2: (0, 1, x)
            case 3: (0, x, 1)
            case 4: (x, 0, 1)
            default: (1, 0, x)
            }
        return (UInt8(r * 255), UInt8(g * 255), UInt8(b * 255))
    }

    static func hex(_ track: Int?) -> String {
        let (r, g, b) = colour(track)
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    /// The frame in grey with the curves drawn 2 px wide.
    static func overlay(_ image: PNGImage, curves: [[TEMPoint]], tracks: [Int?]) -> [UInt8] {
        let w = image.width, h = image.height
        var rgb = [UInt8](repeating: 0, count: 3 * w * h)
        for i in 0..<(w * h) {
            let v = UInt8(min(255, max(0, (image.pixels[i] * 255).rounded())))
            rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v
        }
        for (c, curve) in curves.enumerated() {
            let (r, g, b) = colour(c < tracks.count ? tracks[c] : nil)
            for p in TEMPolyline.resample(curve, spacing: 0.5) {
                let x0 = Int(p.x.rounded(.down)), y0 = Int(p.y.rounded(.down))
                for (x, y) in [(x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)] where x >= 0 && y >= 0 && x < w && y < h {
                    let i = 3 * (y * w + x)
                    rgb[i] = r; rgb[i + 1] = g; rgb[i + 2] = b
                }
            }
        }
        return rgb
    }

    /// Two panels against frame number: distance to the pile-up neighbour (px) and position
    /// along the glide direction (px; perpendicular to the track's mean chord, so tracks of one
    /// pile-up share an axis), for the `count` longest tracks. Gaps in a track break its line.
    static func plot(video: TEMMerge.Video, tracks: [TEMTrack], neighbours: [[TEMNeighbours.Neighbour?]], count: Int,
                     jobId: Int64, frames: Int) -> String {
        let chosen = tracks.sorted { ($0.frames.count, -$0.id) > ($1.frames.count, -$1.id) }.prefix(count).sorted { $0.id < $1.id }
        var distance: [PlotSeries] = [], position: [PlotSeries] = []
        for t in chosen {
            var chord = TEMPoint.zero
            for (f, c) in zip(t.frames, t.curveIndices) {
                guard let a = video.curves[f][c].first, let b = video.curves[f][c].last else { continue }
                chord = orientedSum(chord, b - a)
            }
            let u = glideAxis(chord)
            position.append((t.id, zip(t.frames, t.centroids).map { ($0, $1.x * u.x + $1.y * u.y) }))
            distance.append((t.id, zip(t.frames, t.curveIndices).compactMap { f, c in neighbours[f][c].map { (f, $0.distance) } }))
        }
        return plot(distance: distance, position: position, tracks: tracks.count, jobId: jobId, frames: frames)
    }

    /// A line of the plot: a track id and its (frame, value) points.
    typealias PlotSeries = (Int, [(Int, Double)])

    /// `sum + d`, `d` turned to point the way `sum` does (chords have no direction).
    static func orientedSum(_ sum: TEMPoint, _ d: TEMPoint) -> TEMPoint {
        sum + (d.x * sum.x + d.y * sum.y < 0 ? -d : d)
    }

    /// The glide axis of a summed chord: perpendicular to it, pointing to +x (tracks of one
    /// pile-up share it).
    static func glideAxis(_ chord: TEMPoint) -> TEMPoint {
        var u = TEMPoint(-chord.y, chord.x)
        let n = TEMPolyline.norm(u)
        u = n > 0 ? u / n : TEMPoint(1, 0)
        if u.x < -1e-9 || (abs(u.x) <= 1e-9 && u.y < 0) { u = -u }
        return u
    }

    /// The two-panel SVG from its series (`tracks`: how many tracks the job has).
    static func plot(distance: [PlotSeries], position: [PlotSeries], tracks: Int, jobId: Int64, frames: Int) -> String {
        let chosen = position
        let width = 960.0, panel = 320.0, left = 70.0, right = 150.0, top = 40.0, gap = 70.0
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(top + 2 * panel + gap + 50))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="22" font-size="15">Slipline tem job \(jobId): \(tracks) track(s); the \(chosen.count) longest shown</text>

            """
        func panelSVG(_ series: [PlotSeries], y0: Double, label: String) -> String {
            let values = series.flatMap { $0.1.map(\.1) }
            var lo = values.min() ?? 0, hi = values.max() ?? 1
            if hi - lo < 1e-9 { lo -= 1; hi += 1 }
            let pad = 0.05 * (hi - lo)
            lo -= pad; hi += pad
            let fmax = Double(max(1, frames - 1))
            let plotW = width - left - right
            func sx(_ f: Int) -> Double { left + plotW * Double(f) / fmax }
            func sy(_ v: Double) -> Double { y0 + panel - panel * (v - lo) / (hi - lo) }
            var out = "<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(plotW)\" height=\"\(panel)\" fill=\"none\" stroke=\"#444\"/>\n"
            for k in 0...4 {
                let v = lo + (hi - lo) * Double(k) / 4, y = sy(v)
                out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
                              left, y, left + plotW, y, left - 6, y + 4, v)
                let f = Int((fmax * Double(k) / 4).rounded())
                out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", sx(f), y0 + panel + 16, f)
            }
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">frame</text>\n", left + plotW / 2, y0 + panel + 34)
            out += String(format: "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\">", y0 + panel / 2) + label + "</text>\n"
            for (i, (id, points)) in series.enumerated() {
                // Long videos: at most ~2000 vertices per line.
                let step = max(1, points.count / 2000)
                var path = "", previous: Int?
                for (k, (f, v)) in points.enumerated() where k % step == 0 || k == points.count - 1 {
                    path += (previous.map { f - $0 > step + 3 } ?? true ? "M" : "L") + decimal1(sx(f)) + "," + decimal1(sy(v)) + " "
                    previous = f
                }
                if !path.isEmpty {
                    out += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(hex(id))\" stroke-width=\"1.2\"/>\n"
                }
                let ly = y0 + 12 + 16 * Double(i)
                out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"", width - right + 12, ly, width - right + 32, ly)
                    + hex(id) + String(format: "\" stroke-width=\"3\"/><text x=\"%.1f\" y=\"%.1f\">track %d</text>\n", width - right + 38, ly + 4, id)
            }
            return out
        }
        svg += panelSVG(distance, y0: top, label: "distance to pile-up neighbour (px)")
        svg += panelSVG(position, y0: top + panel + gap, label: "position along glide direction (px)")
        return svg + "</svg>\n"
    }
}
