import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timings of the Ψ kernel, each result checked against the naive reference
/// (`ctl bench bcdi`). Run it from a release build.
public struct BCDIBenchmarkReport: Sendable, CustomStringConvertible {
    /// One timed case.
    public struct Case: Sendable {
        public var name: String
        public var shape: BCDIShape
        public var unmasked: Int
        public var threads: Int
        /// Best wall time over the repetitions, milliseconds.
        public var milliseconds: Double
        /// Whether the output matched the naive reference bit for bit (nil: not checked).
        public var matchesReference: Bool?
        /// Rates printed after the time (per voxel, per chain).
        public var note: String? = nil
    }

    public var cases: [Case] = []
    /// Derivative-method cores vs Ψ > 4 voxels on the comparison volume: |A∩B| / |A∪B|.
    public var derivativeJaccard: Double?

    public var description: String {
        var lines = cases.map { c in
            let ok = c.matchesReference.map { $0 ? "matches reference" : "DIFFERS FROM REFERENCE" } ?? "unchecked"
            // (the smoothing is checked to 1e-5, the float sums being in another order than the reference's)
            return "\(c.name): \(c.shape), \(c.unmasked) unmasked, \(c.threads) thread(s): "
                + "\((c.milliseconds * 1000).rounded() / 1000) ms (\(ok))" + (c.note.map { ", " + $0 } ?? "")
        }
        if let j = derivativeJaccard { lines.append("derivative vs Ψ>4 core voxels, Jaccard overlap: \((j * 1000).rounded() / 1000)") }
        return lines.joined(separator: "\n")
    }
}

/// The BCDI benchmark behind `ctl bench bcdi`.
public enum BCDIBenchmark {
    /// Runs the benchmark cases:
    /// - `paper`: 256×256×96 with a ≈84,000-voxel crystal (the paper's 4.7 s MATLAB case), one thread;
    /// - `full512`: a fully unmasked 512³ volume on `threads` threads (skipped if `large` is false);
    /// - `compare`: SIMD vs naive vs derivative method (`derivativeOffsets` offsets) on 128×128×64.
    public static func run(threads: Int = 2, repetitions: Int = 10, large: Bool = true, derivativeOffsets: Int = 360) -> BCDIBenchmarkReport {
        var report = BCDIBenchmarkReport()

        // Paper case: a sphere of radius 27.2 holds ≈84,000 voxels.
        let paper = BCDISynthetic.make(BCDISynthetic.demoSpec(shape: BCDIShape(nz: 96, ny: 256, nx: 256), radius: 27.2))
        let (pPhase, _) = BCDIPhaseRamp.extractPhase(re: paper.re, im: paper.im, support: paper.support, shape: paper.shape)
        report.cases.append(timePsi("paper", phase: pPhase, support: paper.support, shape: paper.shape, threads: 1, repetitions: repetitions, check: true))

        if large {
            let shape = BCDIShape(nz: 512, ny: 512, nx: 512)
            let phase = fullVolumePhase(shape)
            let support = [UInt8](repeating: 1, count: shape.count)
            report.cases.append(timePsi("full512", phase: phase, support: support, shape: shape, threads: threads, repetitions: 3, check: true))
            report.cases.append(timePsi("full512", phase: phase, support: support, shape: shape, threads: 1, repetitions: 1, check: false))
        }

        // Comparison case.
        let cmp = BCDISynthetic.make(BCDISynthetic.demoSpec(shape: BCDIShape(nz: 64, ny: 128, nx: 128), radius: 28))
        let (cPhase, _) = BCDIPhaseRamp.extractPhase(re: cmp.re, im: cmp.im, support: cmp.support, shape: cmp.shape)
        var fast = timePsi("compare/simd", phase: cPhase, support: cmp.support, shape: cmp.shape, threads: 1, repetitions: repetitions, check: true)
        fast.name = "compare/simd"
        report.cases.append(fast)
        let unmasked = cmp.support.reduce(0) { $0 + Int($1) }
        var t0 = ContinuousClock.now
        let psi = BCDIPsiReference.compute(phase: cPhase, support: cmp.support, shape: cmp.shape)
        report.cases.append(.init(name: "compare/naive", shape: cmp.shape, unmasked: unmasked, threads: 1, milliseconds: ms(since: t0), matchesReference: nil))
        t0 = ContinuousClock.now
        let cores = BCDIDerivativeMethod.detect(phase: cPhase, support: cmp.support, shape: cmp.shape, offsets: derivativeOffsets)
        report.cases.append(.init(name: "compare/derivative(\(derivativeOffsets) offsets)", shape: cmp.shape, unmasked: unmasked, threads: 1, milliseconds: ms(since: t0), matchesReference: nil))
        var both = 0, either = 0
        for i in 0..<cmp.shape.count {
            let a = psi[i] > 4, b = cores[i] != 0
            if a && b { both += 1 }
            if a || b { either += 1 }
        }
        report.derivativeJaccard = either == 0 ? 1 : Double(both) / Double(either)
        report.cases.append(timeSmoothing(cmp, sigma: 1, repetitions: repetitions))
        report.cases.append(contentsOf: timeLineSmoothing(repetitions: repetitions))
        report.cases.append(timeDeblur(blur: 2, repetitions: max(1, repetitions / 5)))
        report.cases.append(timeHull(blur: 2, repetitions: repetitions))
        for surface in [BCDIDeblurSurface.body, .hull] {
            report.cases.append(timeDeblurWithLines(blur: 2, surface: surface, repetitions: max(1, repetitions / 5)))
        }
        return report
    }

    /// The comparison crystal with its three lines (screw, edge, loop), blurred by `blur`, noise 0.05.
    static func linesVolume(blur: Double) -> BCDISyntheticVolume {
        var spec = BCDISynthetic.demoSpec(shape: BCDIShape(nz: 64, ny: 128, nx: 128), radius: 28)
        spec.blurSigma = blur
        spec.noise = 0.05
        return BCDISynthetic.make(spec)
    }

    /// Best-of-`repetitions` time of `BCDIBodyNotches.filled` (the smoothing, the residues and
    /// the convex hull from the body's boundary voxels) on the blurred crystal with lines, at
    /// the reach `deblur_surface=hull` uses (3σ + 1). Checked against the hull taken over every
    /// voxel of the body, not only its boundary: the filled body must be the same voxel for voxel.
    static func timeHull(blur: Double, repetitions: Int) -> BCDIBenchmarkReport.Case {
        let v = linesVolume(blur: blur)
        guard let body = BCDIBlurDirectFit.body(re: v.re, im: v.im, shape: v.shape) else {
            return .init(name: "hull(σ=\(blur)): no body", shape: v.shape, unmasked: 0, threads: 1, milliseconds: 0, matchesReference: false)
        }
        let reach = Int((3 * blur + 1).rounded(.up))
        var best = Double.infinity, filled = body
        for _ in 0..<max(1, repetitions) {
            let t0 = ContinuousClock.now
            filled = BCDIBodyNotches.filled(body: body, re: v.re, im: v.im, shape: v.shape, reach: reach)
            best = min(best, ms(since: t0))
        }
        var reference = body
        if let near = BCDIBodyNotches.nearLines(re: v.re, im: v.im, inside: BCDISupport.erode(body, shape: v.shape, radius: 1),
                                                shape: v.shape, reach: reach) {
            var directions = BCDIBodyNotches.fibonacciSphere(256)
            for dz in -1...1 { for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 || dz != 0 {
                let d = SIMD3(Double(dx), Double(dy), Double(dz))
                directions.append(d / (d * d).sum().squareRoot())
            } } }
            var extent = [Double](repeating: -.infinity, count: directions.count)
            for i in 0..<v.shape.count where body[i] != 0 {
                let (x, y, z) = v.shape.coordinates(of: i)
                let p = SIMD3(Double(x), Double(y), Double(z))
                for k in directions.indices { extent[k] = max(extent[k], (directions[k] * p).sum()) }
            }
            for i in 0..<v.shape.count where near[i] != 0 && body[i] == 0 {
                let (x, y, z) = v.shape.coordinates(of: i)
                let p = SIMD3(Double(x), Double(y), Double(z))
                if directions.indices.allSatisfy({ (directions[$0] * p).sum() <= extent[$0] + 1e-9 }) { reference[i] = 1 }
            }
        }
        let added = zip(filled, body).filter { $0 != 0 && $1 == 0 }.count
        return .init(name: "hull(σ=\(blur), \(added) voxels added)", shape: v.shape, unmasked: body.reduce(0) { $0 + Int($1) }, threads: 1,
                     milliseconds: best, matchesReference: filled == reference)
    }

    /// Best-of-`repetitions` time of the whole `deblur` step with `deblurSurface = surface` on the
    /// blurred crystal with lines (the hull's cost is the difference between `hull` and `body`);
    /// "matches" means the measured blur is within 0.3 voxel of the true one.
    static func timeDeblurWithLines(blur: Double, surface: BCDIDeblurSurface, repetitions: Int) -> BCDIBenchmarkReport.Case {
        let v = linesVolume(blur: blur)
        var settings = BCDIAnalysisSettings()
        settings.deblur = true
        settings.deblurSurface = surface
        var best = Double.infinity, measured = 0.0
        for _ in 0..<max(1, repetitions) {
            let t0 = ContinuousClock.now
            measured = BCDIVolumeAnalysis.deblur(re: v.re, im: v.im, storedSupport: v.support, shape: v.shape, settings: settings).blur
            best = min(best, ms(since: t0))
        }
        return .init(name: "deblur(σ=\(blur), lines, surface \(surface.rawValue))", shape: v.shape, unmasked: v.support.reduce(0) { $0 + Int($1) },
                     threads: 1, milliseconds: best, matchesReference: abs(measured - blur) <= 0.3)
    }

    /// Best-of-`repetitions` time of the blur measurement and deconvolution
    /// (`BCDIVolumeAnalysis.deblur`: support, variogram fit, conjugate gradients) of the
    /// comparison crystal blurred by `blur`; "matches" means the measured blur is within 0.3
    /// voxel of √(blur² + 1/12) (the voxelised surface's own share).
    static func timeDeblur(blur: Double, repetitions: Int) -> BCDIBenchmarkReport.Case {
        var spec = BCDISynthetic.demoSpec(shape: BCDIShape(nz: 64, ny: 128, nx: 128), radius: 28)
        spec.blurSigma = blur
        spec.noise = 0.05
        // No lines: the check is of the surface measurement (a blurred vortex's amplitude hole
        // pulls the estimate down; docs/bcdi.md).
        spec.dislocations = []
        let volume = BCDISynthetic.make(spec)
        var best = Double.infinity, measured = 0.0
        for _ in 0..<repetitions {
            let t0 = ContinuousClock.now
            var settings = BCDIAnalysisSettings()
            settings.deblur = true
            measured = BCDIVolumeAnalysis.deblur(re: volume.re, im: volume.im, storedSupport: volume.support, shape: volume.shape,
                                                 settings: settings).blur
            best = min(best, ms(since: t0))
        }
        let unmasked = volume.support.reduce(0) { $0 + Int($1) }
        return .init(name: "deblur(σ=\(blur), measured \((measured * 100).rounded() / 100))", shape: volume.shape, unmasked: unmasked, threads: 1,
                     milliseconds: best, matchesReference: abs(measured - (blur * blur + 1.0 / 12).squareRoot()) <= 0.3)
    }

    /// Best-of-`repetitions` time of the denoising smoothing (`BCDIComplexSmoothing`) of
    /// `volume`, checked against the direct reference on a 48×48×32 corner of it.
    static func timeSmoothing(_ volume: BCDISyntheticVolume, sigma: Double, repetitions: Int) -> BCDIBenchmarkReport.Case {
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let t0 = ContinuousClock.now
            _ = BCDIComplexSmoothing.smooth(re: volume.re, im: volume.im, support: volume.support, shape: volume.shape, sigma: sigma)
            best = min(best, ms(since: t0))
        }
        let small = BCDIShape(nz: 32, ny: 48, nx: 48)
        var re = [Float](repeating: 0, count: small.count), im = re, support = [UInt8](repeating: 0, count: small.count)
        for z in 0..<small.nz {
            for y in 0..<small.ny {
                for x in 0..<small.nx {
                    let i = small.index(x: x, y: y, z: z), j = volume.shape.index(x: x + 40, y: y + 40, z: z + 16)
                    (re[i], im[i], support[i]) = (volume.re[j], volume.im[j], volume.support[j])
                }
            }
        }
        let fast = BCDIComplexSmoothing.smooth(re: re, im: im, support: support, shape: small, sigma: sigma)
        let ref = BCDIComplexSmoothing.reference(re: re, im: im, support: support, shape: small, sigma: sigma)
        let close = zip(fast.re + fast.im, ref.re + ref.im).allSatisfy { abs($0 - $1) <= 1e-5 }
        let unmasked = volume.support.reduce(0) { $0 + Int($1) }
        return .init(name: "smooth(σ=\(sigma))", shape: volume.shape, unmasked: unmasked, threads: 1, milliseconds: best, matchesReference: close)
    }

    /// The line smoother's two kernels on the comparison crystal with its three lines (noise
    /// 0.05, no blur), smoothed as the finder does (σ = 1):
    /// - `precisionMap`, best of `repetitions`, checked against the plain Double loop
    ///   (`BCDILineSmoothingReference.precisionMap`) to 1e-4 relative (float vs double sums);
    /// - `BCDILineSmoothing.smooth` over every traced piece of ≥ 5 cells of the volume's residue
    ///   chains (the maximum-likelihood q search and the RTS pass, best of `repetitions`), its RTS
    ///   pass checked against the dense batch solution (`BCDILineSmoothingReference.batchSmooth`)
    ///   at the piece's maximum-likelihood q on the first four pieces of ≤ 200 cells, to 1e-6 voxel.
    static func timeLineSmoothing(repetitions: Int) -> [BCDIBenchmarkReport.Case] {
        var spec = BCDISynthetic.demoSpec(shape: BCDIShape(nz: 64, ny: 128, nx: 128), radius: 28)
        spec.noise = 0.05
        let v = BCDISynthetic.make(spec)
        let f = BCDIComplexSmoothing.smooth(re: v.re, im: v.im, support: v.support, shape: v.shape, sigma: 1)
        let noise = spec.noise / BCDIComplexSmoothing.noiseReduction(sigma: 1)
        let unmasked = v.support.reduce(0) { $0 + Int($1) }
        var best = Double.infinity, map: [Float] = []
        for _ in 0..<max(1, repetitions) {
            let t0 = ContinuousClock.now
            map = BCDILineSmoothing.precisionMap(re: f.re, im: f.im, shape: v.shape, noise: noise)
            best = min(best, ms(since: t0))
        }
        let reference = BCDILineSmoothingReference.precisionMap(re: f.re, im: f.im, shape: v.shape, noise: noise)
        let mapMatches = zip(map, reference).allSatisfy { abs(Double($0) - $1) <= 1e-4 * max(1, $1) }
        let perVoxel = String(format: "%.2f ns/voxel", best * 1e6 / Double(v.shape.count))
        var cases: [BCDIBenchmarkReport.Case] = [
            .init(name: "precision map", shape: v.shape, unmasked: unmasked, threads: 1, milliseconds: best, matchesReference: mapMatches, note: perVoxel),
        ]

        // The pieces the finder would smooth: every chain of the smoothed field's residues.
        let phase = zip(f.re, f.im).map { atan2f($1, $0) }
        let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
        let options = BCDILineOptions()
        let pieces = BCDIResidueChains.chains(residues)
            .flatMap { BCDIResidueChains.pieces($0, residues: residues, spurLength: options.spurLength, smoothing: options.smoothing) }
            .filter { $0.cells.count >= 5 }
            .map { piece -> (points: [SIMD3<Double>], variance: [Double], closed: Bool) in
                (piece.cells.map { SIMD3(Double($0.x), Double($0.y), Double($0.z)) + 0.5 },
                 piece.cells.map { BCDILineSmoothing.cellVariance($0, precision: map, shape: v.shape) }, piece.closed)
            }
        let cells = pieces.reduce(0) { $0 + $1.points.count }
        best = .infinity
        for _ in 0..<max(1, repetitions) {
            let t0 = ContinuousClock.now
            for p in pieces { _ = BCDILineSmoothing.smooth(p.points, variance: p.variance, closed: p.closed) }
            best = min(best, ms(since: t0))
        }
        var checked = 0, smootherMatches = !pieces.isEmpty
        for p in pieces where p.points.count <= 200 && checked < 4 {
            checked += 1
            let q = BCDILineSmoothing.maximumLikelihoodQ(p.points, p.variance)
            let fast = BCDILineSmoothing.filter(p.points, p.variance, q: q, smooth: true).points
            for axis in 0..<3 {
                let batch = BCDILineSmoothingReference.batchSmooth(p.points.map { $0[axis] }, variance: p.variance, q: q)
                if !zip(fast, batch).allSatisfy({ abs($0[axis] - $1) <= 1e-6 }) { smootherMatches = false }
            }
        }
        let rates = pieces.isEmpty ? "no chains" : String(format: "%.1f µs/chain, %.3g cells/s (%d checked)", best * 1000 / Double(pieces.count),
                                                            Double(cells) / (best / 1000), checked)
        cases.append(.init(name: "line smoothing(\(pieces.count) chains, \(cells) cells)", shape: v.shape, unmasked: unmasked, threads: 1,
                           milliseconds: best, matchesReference: smootherMatches && checked > 0, note: rates))
        return cases
    }

    static func ms(since t0: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - t0
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15
    }

    /// Best-of-`repetitions` time of Ψ; `check` compares with the reference (whole volume when
    /// small, a few slabs when large).
    static func timePsi(
        _ name: String, phase: [Float], support: [UInt8], shape: BCDIShape, threads: Int, repetitions: Int, check: Bool
    ) -> BCDIBenchmarkReport.Case {
        var out = [Float](repeating: 0, count: shape.count)
        var best = Double.infinity
        phase.withUnsafeBufferPointer { p in
            support.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    for _ in 0..<max(1, repetitions) {
                        let t0 = ContinuousClock.now
                        if threads > 1 {
                            BCDIPsi.computeParallel(phase: p, support: s, shape: shape, threads: threads, into: o)
                        } else {
                            BCDIPsi.compute(phase: p, support: s, shape: shape, into: o)
                        }
                        best = min(best, ms(since: t0))
                    }
                }
            }
        }
        var matches: Bool? = nil
        if check {
            if shape.count <= 8_000_000 {
                let ref = BCDIPsiReference.compute(phase: phase, support: support, shape: shape)
                matches = zip(out, ref).allSatisfy { $0.bitPattern == $1.bitPattern }
            } else {
                matches = true
                for z in [0, 1, shape.nz / 2, shape.nz - 1] {
                    let read = max(0, z - 1)..<min(shape.nz, z + 2)
                    let a = read.lowerBound * shape.planeCount, b = read.upperBound * shape.planeCount
                    let sub = BCDIShape(nz: read.count, ny: shape.ny, nx: shape.nx)
                    let ref = BCDIPsiReference.compute(phase: Array(phase[a..<b]), support: Array(support[a..<b]), shape: sub, zRange: (z - read.lowerBound)..<(z - read.lowerBound + 1))
                    let got = out[(z * shape.planeCount)..<((z + 1) * shape.planeCount)]
                    if !zip(got, ref).allSatisfy({ $0.bitPattern == $1.bitPattern }) { matches = false }
                }
            }
        }
        let unmasked = support.reduce(0) { $0 + Int($1) }
        return .init(name: name, shape: shape, unmasked: unmasked, threads: threads, milliseconds: best, matchesReference: matches)
    }

    /// A fully unmasked volume with smooth strain and two screw lines along z, a wrapped
    /// quadratic background, and a small z-dependence (built from one plane: cheap to make).
    static func fullVolumePhase(_ shape: BCDIShape) -> [Float] {
        var plane = [Float](repeating: 0, count: shape.planeCount)
        let a = (Double(shape.nx) * 0.3 + 0.5, Double(shape.ny) * 0.4 + 0.5)
        let b = (Double(shape.nx) * 0.7 + 0.5, Double(shape.ny) * 0.6 + 0.5)
        for y in 0..<shape.ny {
            for x in 0..<shape.nx {
                let fx = Double(x), fy = Double(y)
                let vortices: Double = atan2(fy - a.1, fx - a.0) - atan2(fy - b.1, fx - b.0)
                let u = fx - 256, v = fy - 256
                let background: Double = 2e-4 * (u * u - v * v)
                let t = vortices + background
                plane[y * shape.nx + x] = Float(t)
            }
        }
        var out = [Float](repeating: 0, count: shape.count)
        for z in 0..<shape.nz {
            let dz = Float(z) * 0.01
            for i in 0..<shape.planeCount { out[z * shape.planeCount + i] = plane[i] + dz }
        }
        return out
    }
}
