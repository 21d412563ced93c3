import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl synth nanodiff OUTDIR`: rocking scans of a crystal with edge dislocations, a tilt
/// boundary and a strained region, rendered by kinematic diffraction with Poisson noise
/// (`NanodiffSynthesizer`), as 5D HDF5 files (or per-angle 4D files), plus `truth.json`.
struct SynthNanodiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nanodiff",
        abstract: "Synthetic nanodiffraction rocking scans (5D HDF5) with the true strain, tilt and dislocations.",
        discussion: """
            Writes OUTDIR/scan-000.h5 … (uint16 at /entry/data/data, shape [angle, scan_y, scan_x, det_y, det_x]; \
            angles in degrees at /entry/data/angles; geometry at /entry/instrument/*; step at /entry/sample/step_nm) and \
            OUTDIR/truth.json. With --scans N the dislocations glide and the strained region grows from scan to scan \
            (a charging series). Score a job with `ctl eval nanodiff --truth OUTDIR --job J`.
            """)

    @Argument(help: "Output directory (created if missing).")
    var outdir: String
    @Option(name: .long, help: "Random seed (noise, and every nuisance with --randomize).")
    var seed: UInt64 = 1
    @Option(name: .long, help: "Scan rows.")
    var rows: Int = 16
    @Option(name: .long, help: "Scan columns.")
    var cols: Int = 16
    @Option(name: .long, help: "Detector side, pixels.")
    var detector: Int = 32
    @Option(name: .long, help: "Scans in the series.")
    var scans: Int = 1
    @Flag(name: .long, help: "Draw dose, background, beam size, peak width, geometry, angles and defect positions from wide ranges.")
    var randomize = false
    @Flag(name: .long, help: "Write one 4D file per angle (in a directory per scan) instead of a 5D file.")
    var perAngle = false
    @Option(name: .long, help: "Expected diffracted counts per position (default: 1e5, or drawn with --randomize).")
    var dose: Double?

    func validate() throws {
        guard (6...512).contains(rows), (6...512).contains(cols) else { throw ValidationError("--rows and --cols must be 6…512") }
        guard (16...512).contains(detector) else { throw ValidationError("--detector must be 16…512") }
        guard (1...100).contains(scans) else { throw ValidationError("--scans must be 1…100") }
        if let dose { guard dose > 0 && dose < 1e10 else { throw ValidationError("--dose must be in (0, 1e10)") } }
    }

    func run() throws {
        var base = randomize ? NanodiffSynthParams.randomized(rows: rows, cols: cols, seed: seed) : NanodiffSynthParams.demo(rows: rows, cols: cols, seed: seed)
        if detector != base.detCols {
            base.centerX += Double(detector - base.detCols) / 2
            base.centerY += Double(detector - base.detRows) / 2
            base.detRows = detector; base.detCols = detector
        }
        if let dose { base.dose = dose }
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        var truth = NanodiffTruth(kind: "nanodiff", coordinates: "x, y in scan positions: x the column, y the row, origin the centre of position (0, 0)", scans: [])
        for t in 0..<scans {
            var p = base
            p.seed = seed &+ UInt64(t) &* 7919
            let glide = 0.6 * Double(t)
            p.dislocations = base.dislocations.map { d in
                NanodiffSynthParams.Dislocation(x: d.x + glide * d.sign, y: d.y, sign: d.sign)
            }
            if let r = base.region {
                let growth = 1 + 0.5 * Double(t)
                p.region = NanodiffSynthParams.StrainedRegion(x: r.x, y: r.y, radius: r.radius, strain: r.strain * growth)
            }
            let (data, truthMaps) = NanodiffSynthesizer.render(p)
            let name = String(format: "scan-%03d", t)
            let written = try write(data, params: p, name: name)
            truth.scans.append(.init(scan_index: t, file: written, rows: rows, cols: cols, strain: truthMaps.strain.map(round9),
                                     tilt_x: truthMaps.tiltX.map(round9), tilt_y: truthMaps.tiltY.map(round9),
                                     dislocations: p.dislocations.map { [$0.x, $0.y, $0.sign] }, params: p))
            print("wrote \(written): \(p.angles) angles × \(rows)×\(cols) positions × \(detector)² uint16, dose \(String(format: "%.3g", p.dose)), background \(String(format: "%.3g", p.background))/px, \(p.dislocations.count) dislocation(s)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let path = (outdir as NSString).appendingPathComponent("truth.json")
        let data = try encoder.encode(truth)
        try AtomicFile.write(path) { try data.write(to: URL(fileURLWithPath: $0)) }
        print("wrote \(path)")
    }

    private func round9(_ v: Double) -> Double { (v * 1e9).rounded() / 1e9 }

    /// Writes the scan; returns the path (file or per-angle directory).
    private func write(_ data: [UInt16], params p: NanodiffSynthParams, name: String) throws -> String {
        let g = p.geometry
        let frame = p.detRows * p.detCols, positions = p.scanRows * p.scanCols
        func instrument(_ file: HDF5File) throws {
            for (key, value) in [("energy_kev", g.energyKeV), ("distance_m", g.distanceM), ("pixel_um", g.pixelUm),
                                 ("two_theta_deg", g.twoThetaDeg), ("center_x", g.centerX), ("center_y", g.centerY)] {
                try file.write([value], shape: [1], to: "/entry/instrument/" + key)
            }
            try file.write([p.stepAngstrom / 10], shape: [1], to: "/entry/sample/step_nm")
        }
        if !perAngle {
            let path = (outdir as NSString).appendingPathComponent(name + ".h5")
            try AtomicFile.write(path) { temporary in
                let file = try HDF5File.create(path: temporary)
                try file.write(data, shape: [p.angles, p.scanRows, p.scanCols, p.detRows, p.detCols], to: "/entry/data/data")
                try file.write(p.anglesDeg, shape: [p.angles], to: "/entry/data/angles")
                try instrument(file)
                try file.close()
            }
            return path
        }
        let dir = (outdir as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (a, angle) in p.anglesDeg.enumerated() {
            let path = (dir as NSString).appendingPathComponent(String(format: "angle-%03d.h5", a))
            try AtomicFile.write(path) { temporary in
                let file = try HDF5File.create(path: temporary)
                try file.write(Array(data[(a * positions * frame)..<((a + 1) * positions * frame)]), shape: [p.scanRows, p.scanCols, p.detRows, p.detCols], to: "/entry/data/data")
                try file.write([angle], shape: [1], to: "/entry/data/angle")
                try instrument(file)
                try file.close()
            }
        }
        return dir
    }
}
