import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl synth bcdi OUTDIR`: PyNX-style CXI reconstructions of a crystal with a screw line, an
/// edge line and a loop (displacement from elasticity, blur, noise, optional ramp), as one
/// volume or a time series in which the lines move, plus `truth.json`.
struct SynthBCDICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcdi",
        abstract: "Synthetic BCDI reconstructions (PyNX-style CXI) with the true dislocation lines.",
        discussion: """
            Writes OUTDIR/vol-000.cxi … (complex64 compound {r, i} at /entry_1/image_1/data, gzip, \
            the support at /entry_1/image_1/mask) and OUTDIR/truth.json with every true line as \
            [x, y, z] voxel points. Score a job on it with `ctl eval bcdi --truth OUTDIR --job J`.
            """)

    @Argument(help: "Output directory (created if missing).")
    var outdir: String

    @Option(name: .long, help: "Random seed (noise).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Side of the cubic array, voxels.")
    var size: Int = 64

    @Option(name: .long, help: "Volumes in the time series (the lines move between them); with --randomize, independent draws.")
    var volumes: Int = 1

    @Option(name: .long, help: "Motion per volume, voxels (the screw moves along x, the edge along z, the loop along y).")
    var step: Double = 1.0

    @Flag(name: .long, help: "A faceted crystal instead of a sphere.")
    var faceted = false

    @Option(name: .long, help: "Complex noise, relative to the maximum amplitude.")
    var noise: Double = 0.01

    @Option(name: .long, help: "A linear phase ramp, rad/voxel along x (removed by the pipeline).")
    var ramp: Double = 0

    @Flag(name: .long, help: "Do not store the support mask (the pipeline then thresholds the amplitude).")
    var noMask = false

    @Flag(name: .long, help: """
        Randomised crystals instead of the demo: every volume an independent draw of crystal size, shape and facets, \
        1–4 lines (screw, edge, mixed, curved, loops, close pairs), noise, blur, ramp, core dip and support errors \
        (--preset sets the ranges; --size, --step, --faceted, --noise, --ramp and --no-mask do not apply).
        """)
    var randomize = false

    @Option(name: .long, help: "Ranges of --randomize: random (noise ≤ 0.30, blur σ 0.5–2, ramp ≤ 0.15), noise, ramp-blur, blur or clean.")
    var preset = "random"

    func validate() throws {
        guard (16...512).contains(size) else { throw ValidationError("--size must be 16…512") }
        guard (1...1000).contains(volumes) else { throw ValidationError("--volumes must be 1…1000") }
        guard noise >= 0 && noise < 1 else { throw ValidationError("--noise must be in [0, 1)") }
        guard abs(ramp) < 1 else { throw ValidationError("--ramp must be below 1 rad/voxel") }
        guard BCDIRandomRanges.preset(preset) != nil else {
            throw ValidationError("--preset \(preset): expected one of \(BCDIRandomRanges.presetNames.joined(separator: ", "))")
        }
        guard step.isFinite && abs(step) <= Double(size) / 8 else { throw ValidationError("--step must be at most size/8 voxels") }
    }

    func run() throws {
        if randomize { return try writeRandomDraws() }
        var spec = BCDISynthetic.demoSpec(size: size, faceted: faceted, seed: seed)
        spec.noise = noise
        spec.ramp = SIMD3(ramp, 0, 0)
        // Centre the series' motion on the demo positions.
        let velocities = [SIMD3<Double>(step, 0, 0), SIMD3(0, 0, step), SIMD3(0, step * 0.5, 0)]
        let shift = Double(volumes - 1) / 2
        spec.dislocations = zip(spec.dislocations, velocities).map { $0.translated(by: $1 * -shift) }
        let series = BCDISynthetic.series(spec, steps: volumes, velocities: velocities)
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        let digits = max(3, String(volumes - 1).count)
        var truth: [[String: Any]] = []
        for (t, volume) in series.enumerated() {
            let name = "vol-" + String(repeating: "0", count: max(0, digits - String(t).count)) + "\(t).cxi"
            let path = (outdir as NSString).appendingPathComponent(name)
            try write(volume, mask: noMask ? nil : volume.support, to: path)
            truth.append([
                "volume_index": t, "file": name,
                "lines": volume.truth.map { line in line.map { [round3($0.x), round3($0.y), round3($0.z)] } },
            ])
            print("wrote \(path): \(volume.shape) complex64, \(volume.support.reduce(0) { $0 + Int($1) }) voxels of crystal, \(volume.truth.count) true line piece(s)")
        }
        let document: [String: Any] = [
            "kind": "bcdi", "seed": seed, "size": size, "faceted": faceted, "noise": noise, "ramp": [ramp, 0, 0],
            "step": step, "coordinates": "[x, y, z] voxels, x the last array axis", "volumes": truth,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        let truthPath = (outdir as NSString).appendingPathComponent("truth.json")
        try AtomicFile.write(truthPath) { try data.write(to: URL(fileURLWithPath: $0)) }
        print("wrote \(truthPath)")
    }

    /// `--randomize`: independent draws, each with its nuisances in `truth.json`.
    private func writeRandomDraws() throws {
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        let ranges = BCDIRandomRanges.preset(preset)!
        let digits = max(3, String(volumes - 1).count)
        var truth: [[String: Any]] = []
        for t in 0..<volumes {
            let drawSeed = BCDIAccuracy.drawSeed(seed, t)
            let draw = BCDIRandomCrystal.draw(seed: drawSeed, ranges: ranges)
            let volume = BCDISynthetic.make(draw.spec)
            let name = "vol-" + String(repeating: "0", count: max(0, digits - String(t).count)) + "\(t).cxi"
            let path = (outdir as NSString).appendingPathComponent(name)
            try write(volume, mask: draw.supportError.apply(to: volume.support, shape: volume.shape), to: path)
            truth.append([
                "volume_index": t, "file": name, "draw_seed": drawSeed, "nuisances": draw.summary,
                "lines": volume.truth.map { line in line.map { [round3($0.x), round3($0.y), round3($0.z)] } },
            ])
            print("wrote \(path): \(draw.summary)")
        }
        let document: [String: Any] = [
            "kind": "bcdi", "seed": seed, "randomize": preset,
            "coordinates": "[x, y, z] voxels, x the last array axis", "volumes": truth,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        let truthPath = (outdir as NSString).appendingPathComponent("truth.json")
        try AtomicFile.write(truthPath) { try data.write(to: URL(fileURLWithPath: $0)) }
        print("wrote \(truthPath)")
    }

    /// One volume as PyNX-style CXI (`mask` nil: no support stored).
    private func write(_ volume: BCDISyntheticVolume, mask: [UInt8]?, to path: String) throws {
        let shape = [volume.shape.nz, volume.shape.ny, volume.shape.nx]
        var interleaved = [Float](repeating: 0, count: 2 * volume.shape.count)
        for i in 0..<volume.shape.count {
            interleaved[2 * i] = volume.re[i]
            interleaved[2 * i + 1] = volume.im[i]
        }
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.writeComplex(interleaved: interleaved, shape: shape, to: "/entry_1/image_1/data", options: .gzip(level: 4))
            if let mask { try file.write(mask, shape: shape, to: "/entry_1/image_1/mask", options: .gzip(level: 4)) }
            try file.close()
        }
    }

    private func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}
