import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl synth tem OUTDIR`: a synthetic in-situ TEM video after the paper's image model (Perlin
/// backgrounds, slip traces, pile-ups of spline dislocations) plus jerky glide, with the truth.
struct SynthTEMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tem",
        abstract: "A synthetic in-situ TEM video (8-bit PNG frames) with per-dislocation ground truth.",
        discussion: """
            Writes OUTDIR/frame-00000.png … (8-bit grey), OUTDIR/truth.json (for every frame, every \
            dislocation's id, pile-up and centreline as [x, y] px points about 2 px apart, in image \
            coordinates; the frame's stage drift relative to frame 0, the physical time step it shows \
            and the frame it repeats, itself unless repeated) and \
            OUTDIR/params.json (every parameter and the seed: the video is a pure function of it). \
            Process it with `ctl run OUTDIR` and score the job with `ctl eval tem --truth OUTDIR --job J`.
            """)

    @Argument(help: "Output directory (created if missing).")
    var outdir: String

    @Option(name: .long, help: "Number of frames.")
    var frames: Int = 100

    @Option(name: .long, help: "Random seed (every parameter is drawn from it).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "easy (256×256, one pile-up), medium (512×512, two) or hard (512×512, three on crossing slip systems).")
    var difficulty: TEMDifficulty = .medium

    @Flag(name: .long, help: "Draw every nuisance per video from wide ranges (line style, width 1–5 px, clutter, drift and jitter, dropped/repeated frames, camera noise, a source emitting dislocations) on top of the difficulty's layout of slip bands.")
    var randomize = false

    @Option(name: .long, help: "Rendering threads (default: one per core).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...1_000_000).contains(frames) else { throw ValidationError("--frames must be 1…1000000") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1…256") }
    }

    func run() throws {
        let params = randomize ? TEMSynthParams.randomized(difficulty, seed: seed, frames: frames)
            : TEMSynthParams.preset(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        let digits = max(5, String(frames - 1).count)
        let names = (0..<frames).map { "frame-" + String(repeating: "0", count: max(0, digits - String($0).count)) + "\($0).png" }

        // Frames are independent: render them on all cores, each thread taking every n-th.
        let start = Date()
        _ = try Parallel.map(frames, threads: threads) { f in
            let path = (outdir as NSString).appendingPathComponent(names[f])
            let pixels = synth.frame8(f)
            try AtomicFile.write(path) {
                try PNGWriter.writeGray8(path: $0, width: params.width, height: params.height, pixels: pixels, compression: TEMFramePNG.compression)
            }
        }

        var truth = "{\"kind\":\"tem\",\"seed\":\(seed),\"difficulty\":\"\(difficulty.rawValue)\",\"randomized\":\(randomize)," + "\"width\":\(params.width),\"height\":\(params.height),"
        truth += "\"coordinates\":\"[x, y] px: x the column, y the row, origin at the centre of the top-left pixel\",\"frames\":[\n"
        for f in 0..<frames {
            let dislocations = synth.truth[f].map { d in
                "{\"id\":\(d.id),\"pileup\":\(d.pileup),\"points\":\(Self.points(TEMPolyline.resample(d.points, spacing: 2)))}"
            }
            let drift = synth.stage.drift[f]
            truth += "{\"frame_index\":\(f),\"file\":\"\(names[f])\",\"time\":\(synth.stage.time[f]),\"repeats\":\(synth.stage.source[f]),\"drift\":[\(Self.round2(drift.x)),\(Self.round2(drift.y))],\"dislocations\":[\(dislocations.joined(separator: ","))]}"
            truth += f == frames - 1 ? "\n" : ",\n"
        }
        truth += "],\"slip_traces\":\(Self.json(synth.slipTraces.map { Self.points($0) }))}\n"
        let truthPath = (outdir as NSString).appendingPathComponent("truth.json")
        try AtomicFile.write(truthPath, text: truth)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let paramsPath = (outdir as NSString).appendingPathComponent("params.json")
        try AtomicFile.write(paramsPath) { try encoder.encode(params).write(to: URL(fileURLWithPath: $0)) }

        let count = synth.truth.reduce(0) { $0 + $1.count }
        print("wrote \(frames) frame(s) \(params.width)×\(params.height) 8-bit to \(outdir) (\(names[0]) … \(names[frames - 1])) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        print("  \(difficulty.rawValue), seed \(seed): \(params.pileups.count) pile-up(s), \(Set(synth.truth.flatMap { $0.map(\.id) }).count) dislocation(s), \(String(format: "%.1f", Double(count) / Double(frames))) per frame")
        print("wrote \(truthPath)")
        print("wrote \(paramsPath)")
    }

    static func points(_ p: [TEMPoint]) -> String {
        "[" + p.map { "[\(round2($0.x)),\(round2($0.y))]" }.joined(separator: ",") + "]"
    }

    static func json(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    static func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
}

extension TEMDifficulty: ExpressibleByArgument {}

/// How `ctl synth tem` compresses its frames.
enum TEMFramePNG {
    /// zlib level 0 (stored blocks) and no row filter: decoding is then little more than a
    /// copy plus the CRC and Adler-32 checks. The frames are mostly shot noise, which deflate
    /// barely shrinks: about +35 % size for a decode about 9× faster (docs/tuning.md, PNG
    /// compression). Pixel values are the same whatever the compression.
    static let compression = PNGCompression(level: 0, filters: .none)
}
