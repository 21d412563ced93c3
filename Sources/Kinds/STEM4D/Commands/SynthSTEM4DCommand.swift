import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl synth stem4d OUTDIR`: a 4D-STEM cube drawn by reciprocity (every bright-field detector
/// pixel sees the slab along its own beam tilt) of spheres or 3D curves, with Poisson noise,
/// plus `truth.json`.
struct SynthSTEM4DCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stem4d",
        abstract: "A synthetic 4D-STEM cube (particles or dislocation lines in a slab) with the true 3D geometry.",
        discussion: """
            Writes OUTDIR/cube.h5 (uint16 at /data, chunked by scan row, gzip), OUTDIR/cube.npy or \
            OUTDIR/cube.mib + cube.hdr, and OUTDIR/truth.json (spheres [x, y, z, radius] or lines of \
            [x, y, z] points in scan px, z from the focal plane, positive downstream; the bright-field \
            disk and convergence angle used). Defaults: the particles preset (256×256 scan × 32×32 \
            detector, 200 spheres) or the dislocations preset (10 curves). Run it with \
            `ctl run OUTDIR/cube.h5 --param mode=particles --param convergence_mrad=100` and score \
            with `ctl eval stem4d --truth OUTDIR --job J`.
            """)

    @Argument(help: "Output directory (created if missing).")
    var outdir: String

    @Option(name: .long, help: "Random seed (object placement and noise).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "particles or dislocations.")
    var mode: String = "particles"

    @Option(name: .long, help: "h5, npy or mib.")
    var format: String = "h5"

    @Option(name: .long, help: "Scan side (scan positions per row and column; default from the preset, 256).")
    var scan: Int?

    @Option(name: .long, help: "Number of spheres or lines (default from the preset, scaled with the scan area).")
    var count: Int?

    @Flag(name: .long, help: "Draw every nuisance from --seed (detector, disk radius and offset, convergence angle, scan rotation, dose, slab, background, particle sizes and density or line number and shape); scan side 128 unless --scan.")
    var randomize = false

    func validate() throws {
        guard ["particles", "dislocations"].contains(mode) else { throw ValidationError("--mode must be particles or dislocations") }
        guard ["h5", "npy", "mib"].contains(format) else { throw ValidationError("--format must be h5, npy or mib") }
        if let scan { guard (16...1024).contains(scan) else { throw ValidationError("--scan must be 16…1024") } }
        if let count { guard (0...100_000).contains(count) else { throw ValidationError("--count must be 0…100000") } }
    }

    func run() throws {
        var p = mode == "particles" ? STEM4DSynthParams.particles : STEM4DSynthParams.dislocations
        p.seed = seed
        if randomize {
            p = STEM4DSynthRandomizer.draw(mode == "particles" ? .spheres : .lines, scan: scan ?? 128, seed: seed)
        } else if let scan {
            let scale = Double(scan * scan) / Double(p.scanRows * p.scanCols)
            p.scanRows = scan; p.scanCols = scan
            p.sphereCount = max(1, Int((Double(p.sphereCount) * scale).rounded()))
            p.lineCount = max(1, Int((Double(p.lineCount) * scale.squareRoot()).rounded()))
            p.margin = min(p.margin, Double(scan) / 6)
            p.lineRunMax = min(p.lineRunMax, Double(scan) / 2)
            p.lineRunMin = min(p.lineRunMin, p.lineRunMax / 2)
        }
        if let count { p.sphereCount = count; p.lineCount = count }
        let cube = STEM4DSynthesizer.make(p)
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        let shape = [p.scanRows, p.scanCols, p.detRows, p.detCols]
        let path: String
        switch format {
        case "npy":
            path = (outdir as NSString).appendingPathComponent("cube.npy")
            try AtomicFile.write(path) { try NPYWriter.write(cube.cube, shape: shape, to: $0) }
        case "mib":
            path = (outdir as NSString).appendingPathComponent("cube.mib")
            // The .hdr goes next to the .mib under its final name.
            try MIBWriter.write(path: path, width: p.detCols, height: p.detRows, pixelType: .u16,
                                pixels: cube.cube.map { UInt32($0) }, scan: MIBScanShape(width: p.scanCols, height: p.scanRows))
        default:
            path = (outdir as NSString).appendingPathComponent("cube.h5")
            try AtomicFile.write(path) { temporary in
                let file = try HDF5File.create(path: temporary)
                try file.write(cube.cube, shape: shape, to: "/data",
                               options: .gzip(level: 1, chunkShape: [1, p.scanCols, p.detRows, p.detCols]))
                try file.close()
            }
        }
        let truthPath = (outdir as NSString).appendingPathComponent("truth.json")
        let document = Truth(kind: "stem4d", mode: mode, file: (path as NSString).lastPathComponent, shape: shape,
                             coordinates: "[x, y, z] scan px, z from the focal plane, positive downstream",
                             truth: cube.truth, params: p)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(document)
        try AtomicFile.write(truthPath) { try data.write(to: URL(fileURLWithPath: $0)) }
        let objects = mode == "particles" ? "\(cube.truth.spheres.count) sphere(s)" : "\(cube.truth.lines.count) line(s)"
        print("wrote \(path): \(shape.map(String.init).joined(separator: "×")) uint16, \(objects), bright-field disk at (\(p.bfCx), \(p.bfCy)) radius \(p.bfRadius) px, α = \(p.convergenceMrad) mrad")
        print("wrote \(truthPath)")
        let rotation = p.scanRotationDeg == 0 ? "" : String(format: " --param scan_rotation_deg=%.3f", p.scanRotationDeg)
        print("run: ctl run \(path) --param mode=\(mode) --param convergence_mrad=\(p.convergenceMrad)\(rotation)")
    }

    /// The truth document (also read by `ctl eval stem4d`).
    struct Truth: Codable {
        var kind: String
        var mode: String
        var file: String
        var shape: [Int]
        var coordinates: String
        var truth: STEM4DSynthTruth
        var params: STEM4DSynthParams
    }
}
