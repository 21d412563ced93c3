import Coordinator
import Foundation
import Kernels
import Logging
import Shared

/// Quality of the stem4d job over randomised synthetic cubes, without a database
/// (`ctl bench stem4d --quality particles|dislocations --draws N`): each draw is a cube from
/// `STEM4DSynthRandomizer` written as `.npy`, run through the real planner, shards and merge
/// in this process (the same code a worker runs), and scored against its truth.
public enum STEM4DQualityHarness {
    /// The score of one draw.
    public struct Draw: Sendable {
        public var seed: UInt64
        public var params: STEM4DSynthParams
        /// Particles: recall, precision, median |Δz|, |Δ first peak of g(r)|; lines: coverage
        /// of the true lines (recall), fraction of found points near a true line (precision),
        /// median |Δz|. NaN where undefined (nothing matched, too few particles for g(r)).
        public var recall: Double
        public var precision: Double
        public var medianDepthError: Double
        public var rdfPeakError: Double
        /// Slope of found against true depth (1 = right scale).
        public var depthScale: Double = .nan
        public var truthCount: Int
        public var foundCount: Int
        public var stereoAngleDeg: Double?
        public var notes: [String]
        /// The true spheres `[x, y, z, r]` (particles).
        public var truthSpheres: [[Double]] = []
        /// The calibration and per-view counts, for `--verbose`.
        public var details = ""
        /// Particles: the median of the reported depth standard errors (`depth_sigma` in
        /// particles.json), and the median of |Δz| / σ over matched particles (0.674 when the
        /// errors are Gaussian with the reported σ); NaN without them.
        public var medianDepthSigma: Double = .nan
        public var depthZScore: Double = .nan
        /// Process CPU time of the merge (images written, 3D step, g(r)), s: with
        /// `particle_model=false` on the same draws, the difference is the joint fit's cost.
        public var mergeCPUSeconds: Double = .nan
    }

    /// Runs draw `seed` in `directory` (the cube and the job's files go there).
    /// `extra` job parameters override the harness's own; `probeBox` > 0 draws the spheres
    /// averaged over a box of that width per scan pixel (`STEM4DSynthParams.sphereProbeBox`).
    public static func run(_ content: STEM4DSynthParams.Content, scan: Int, seed: UInt64, directory: String,
                           extra: [String: String] = [:], probeBox: Double = 0) throws -> Draw {
        var p = STEM4DSynthRandomizer.draw(content, scan: scan, seed: seed)
        if probeBox > 0 { p.sphereProbeBox = probeBox }
        let cube = STEM4DSynthesizer.make(p)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = (directory as NSString).appendingPathComponent("cube.npy")
        try NPYWriter.write(cube.cube, shape: [p.scanRows, p.scanCols, p.detRows, p.detCols], to: file)
        // What a user states about the microscope: convergence angle, scan rotation, depth of interest.
        let zRange = max(abs(p.slabTop), abs(p.slabTop + p.slabThickness)) + 10
        let params = extra.merging([
            "mode": content == .spheres ? "particles" : "dislocations",
            "convergence_mrad": "\(p.convergenceMrad)", "scan_rotation_deg": "\(p.scanRotationDeg)", "z_range": "\(zRange)",
            "particle_radius_min": "1.5", "particle_radius_max": "8",
        ]) { given, _ in given }
        let (notes, rows, mergeCPU) = try runJob(input: file, params: params, output: (directory as NSString).appendingPathComponent("out"))
        let stereoAngle = rows.first { $0.table == "stem4d_job_results" }?.rows.first?[8] as? Double
        var draw = Draw(seed: seed, params: p, recall: .nan, precision: .nan, medianDepthError: .nan, rdfPeakError: .nan,
                        truthCount: 0, foundCount: 0, stereoAngleDeg: stereoAngle, notes: notes)
        draw.mergeCPUSeconds = mergeCPU
        if let summary = rows.first(where: { $0.table == "stem4d_job_results" })?.rows.first {
            draw.details = "bright field found (\(summary[3].map { "\($0)" } ?? "–"), \(summary[4].map { "\($0)" } ?? "–")) r \(summary[5].map { "\($0)" } ?? "–")"
                + String(format: ", true (%.2f, %.2f) r %.2f", p.bfCx, p.bfCy, p.bfRadius)
        }
        draw.truthSpheres = cube.truth.spheres
        if content == .spheres {
            score(particles: rows, truth: cube.truth.spheres, into: &draw)
            scoreDepthSigma(particlesJSON: (directory as NSString).appendingPathComponent("out/stem4d/particles.json"),
                            truth: cube.truth.spheres, into: &draw)
            if let blur = FileManager.default.contents(atPath: STEM4DPaths.particleBlur((directory as NSString).appendingPathComponent("out"))) {
                draw.details += "\n      blur: " + String(decoding: blur, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        } else {
            score(lines: rows, truth: cube.truth, into: &draw)
        }
        return draw
    }

    static func score(particles rows: [ResultRows], truth: [[Double]], into draw: inout Draw) {
        let found: [STEM4DParticle3D] = rows.filter { $0.table == "stem4d_particle_results" }.flatMap(\.rows).compactMap { r in
            guard let x = r[1] as? Double, let y = r[2] as? Double, let z = r[3] as? Double, let radius = r[4] as? Double else { return nil }
            return STEM4DParticle3D(x: x, y: y, z: z, radius: radius)
        }
        let s = STEM4DParticleEvaluation.score(truth: truth, found: found)
        draw.details += "\n      " + diagnose(s, truth: truth, found: found, rows: draw.params.scanRows, cols: draw.params.scanCols)
        draw.recall = s.recall; draw.precision = s.precision; draw.medianDepthError = s.medianDepthError
        draw.depthScale = s.depthScale
        draw.truthCount = s.truthCount; draw.foundCount = s.foundCount
        let radii = (truth.map { $0[3] }.min() ?? 1)...(truth.map { $0[3] }.max() ?? 1)
        if let a = firstPeak(truth.map { Array($0.prefix(3)) }, radii: radii), let b = firstPeak(found.map { [$0.x, $0.y, $0.z] }, radii: radii) {
            draw.rdfPeakError = abs(a - b)
        }
    }

    /// The reported depth uncertainty against the truth: σ from particles.json, |Δz| / σ of
    /// the particles the scorer matches (the same matching as `score(particles:)`).
    static func scoreDepthSigma(particlesJSON path: String, truth: [[Double]], into draw: inout Draw) {
        struct Entry: Decodable { var x, y, z, radius: Double; var depth_sigma: Double? }
        guard let data = FileManager.default.contents(atPath: path),
              let entries = try? JSONDecoder().decode([Entry].self, from: data) else { return }
        let found = entries.map { STEM4DParticle3D(x: $0.x, y: $0.y, z: $0.z, radius: $0.radius) }
        let s = STEM4DParticleEvaluation.score(truth: truth, found: found)
        let sigmas = entries.compactMap(\.depth_sigma)
        guard !sigmas.isEmpty else { return }
        draw.medianDepthSigma = summary(sigmas).median
        let z = s.matches.compactMap { m -> Double? in
            guard let sg = entries[m[1]].depth_sigma, sg > 0 else { return nil }
            return abs(entries[m[1]].z - truth[m[0]][2]) / sg
        }
        draw.depthZScore = summary(z).median
        let spurious = s.unmatchedFound.compactMap { entries[$0].depth_sigma }
        draw.details += String(format: "\n      depth σ: median %.2f px (matched %.2f, spurious %.2f); matched |Δz|/σ median %.2f",
                               draw.medianDepthSigma, summary(s.matches.compactMap { entries[$0[1]].depth_sigma }).median,
                               summary(spurious).median, draw.depthZScore)
    }

    static func score(lines rows: [ResultRows], truth: STEM4DSynthTruth, into draw: inout Draw) {
        let found: [STEM4DLine3D] = rows.filter { $0.table == "stem4d_line_results" }.flatMap(\.rows).compactMap { r in
            guard let json = r[1] as? PGJSON, let points = try? JSONDecoder().decode([[Double]].self, from: Data(json.pgText.utf8)) else { return nil }
            return STEM4DLine3D(points: points)
        }
        let s = STEM4DLineEvaluation.score(truth: truth.lines, found: found)
        draw.recall = s.coverage
        draw.precision = s.totalPoints > 0 ? Double(s.matchedPoints) / Double(s.totalPoints) : .nan
        draw.medianDepthError = s.medianDepthError
        draw.depthScale = s.depthScale
        draw.truthCount = truth.lines.count; draw.foundCount = found.count
        draw.details += diagnose(lines: s, truth: truth, rotationDeg: draw.params.scanRotationDeg)
        if ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_DUMP_LINES"] != nil {
            for (k, l) in truth.lines.enumerated() { draw.details += "\n      truth \(k): " + l.map { String(format: "(%.1f,%.1f,%.1f)", $0[0], $0[1], $0[2]) }.joined(separator: " ") }
            for (k, l) in found.enumerated() { draw.details += "\n      found \(k): " + l.points.map { String(format: "(%.1f,%.1f,%.1f)", $0[0], $0[1], $0[2]) }.joined(separator: " ") }
        }
    }

    /// Per true line, what might make it hard: length, contrast, width, angle to the first
    /// baseline (0° = along it), depth at both ends, crossings with other lines in projection;
    /// and what was found: covered fraction and median |Δz|.
    static func diagnose(lines s: STEM4DLineEvaluation.Score, truth: STEM4DSynthTruth, rotationDeg: Double) -> String {
        var out = ""
        for (k, line) in truth.lines.enumerated() {
            guard let a = line.first, let b = line.last else { continue }
            let length = zip(line, line.dropFirst()).map { hypot($1[0] - $0[0], $1[1] - $0[1]) }.reduce(0, +)
            var angle = (atan2(b[1] - a[1], b[0] - a[0]) * 180 / .pi - rotationDeg).truncatingRemainder(dividingBy: 180)
            if angle < 0 { angle += 180 }
            angle = min(angle, 180 - angle)
            let crossings = truth.lines.indices.filter { $0 != k && Self.crosses(line, truth.lines[$0]) }.count
            let contrast = truth.lineContrasts?[k] ?? .nan
            let missed = k < s.lineCoverage.count && s.lineCoverage[k] < 0.9
            out += String(format: "\n      line %d: %5.1f px, contrast %.2f, %4.1f° to baseline 1, z %6.1f → %6.1f, %d crossing(s): covered %.2f, |Δz| %.2f%@",
                          k, length, contrast, angle, a[2], b[2], crossings, k < s.lineCoverage.count ? s.lineCoverage[k] : .nan,
                          k < s.lineDepthError.count ? s.lineDepthError[k] : .nan, missed ? "  <- missed in part" : "")
        }
        let off = s.foundPoints.indices.filter { s.foundMatched[$0] < s.foundPoints[$0] }
        if !off.isEmpty {
            out += "\n      found lines with points off every true line: "
                + off.map { "\($0) (\(s.foundPoints[$0] - s.foundMatched[$0]) of \(s.foundPoints[$0]))" }.joined(separator: ", ")
        }
        return out
    }

    /// Whether two polylines cross in projection (x, y).
    static func crosses(_ p: [[Double]], _ q: [[Double]]) -> Bool {
        for (a, b) in zip(p, p.dropFirst()) {
            for (c, d) in zip(q, q.dropFirst()) {
                let d1 = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
                let d2 = (b[0] - a[0]) * (d[1] - a[1]) - (b[1] - a[1]) * (d[0] - a[0])
                let d3 = (d[0] - c[0]) * (a[1] - c[1]) - (d[1] - c[1]) * (a[0] - c[0])
                let d4 = (d[0] - c[0]) * (b[1] - c[1]) - (d[1] - c[1]) * (b[0] - c[0])
                if d1 * d2 < 0 && d3 * d4 < 0 { return true }
            }
        }
        return false
    }

    /// Where the misses and the spurious particles are: cut by the scan edge, overlapping
    /// another sphere in projection (centre gap < the larger radius), touching one in 3D
    /// (surface gap < 1 px), or none of these.
    static func diagnose(_ s: STEM4DParticleEvaluation.Score, truth: [[Double]], found: [STEM4DParticle3D], rows: Int, cols: Int) -> String {
        func cut(_ x: Double, _ y: Double, _ r: Double) -> Bool {
            x - r < -0.5 || y - r < -0.5 || x + r > Double(cols) - 0.5 || y + r > Double(rows) - 0.5
        }
        var edge = 0, overlap = 0, touching = 0, other = 0
        for i in s.missedTruth {
            let t = truth[i]
            let others = truth.indices.filter { $0 != i }.map { truth[$0] }
            if cut(t[0], t[1], t[3]) { edge += 1; continue }
            if others.contains(where: { o in ((o[0] - t[0]) * (o[0] - t[0]) + (o[1] - t[1]) * (o[1] - t[1])).squareRoot() < max(o[3], t[3]) }) {
                overlap += 1; continue
            }
            if others.contains(where: { o in
                ((o[0] - t[0]) * (o[0] - t[0]) + (o[1] - t[1]) * (o[1] - t[1]) + (o[2] - t[2]) * (o[2] - t[2])).squareRoot() < o[3] + t[3] + 1 }) {
                touching += 1; continue
            }
            other += 1
        }
        let spuriousEdge = s.unmatchedFound.filter { cut(found[$0].x, found[$0].y, found[$0].radius) }.count
        var dump = ""
        if ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_DUMP_PARTICLES"] != nil {
            // Each spurious particle with the nearest true sphere (lateral distance, Δz, radii).
            for j in s.unmatchedFound {
                let f = found[j]
                guard let t = truth.min(by: { hypot($0[0] - f.x, $0[1] - f.y) < hypot($1[0] - f.x, $1[1] - f.y) }) else { continue }
                dump += String(format: "\n      spurious (%.1f, %.1f, %.1f) r %.2f: nearest true (%.1f, %.1f, %.1f) r %.2f, lateral %.2f, Δz %.1f",
                               f.x, f.y, f.z, f.radius, t[0], t[1], t[2], t[3], hypot(t[0] - f.x, t[1] - f.y), f.z - t[2])
            }
            for i in s.missedTruth {
                let t = truth[i]
                dump += String(format: "\n      missed (%.1f, %.1f, %.1f) r %.2f", t[0], t[1], t[2], t[3])
            }
        }
        return "missed \(s.missedTruth.count): cut by the edge \(edge), overlapping in projection \(overlap), touching \(touching), other \(other); "
            + "spurious \(s.unmatchedFound.count) (\(spuriousEdge) at the edge)" + dump
    }

    /// Fraction of the spheres `[x, y, z, r]` whose projection overlaps or nearly touches
    /// another's (xy gap < 1 px), the measure issue 12 quotes for its independent cube.
    public static func overlappingFraction(_ spheres: [[Double]]) -> Double {
        guard !spheres.isEmpty else { return .nan }
        let n = spheres.indices.filter { i in
            spheres.indices.contains { j in
                j != i && hypot(spheres[i][0] - spheres[j][0], spheres[i][1] - spheres[j][1]) < spheres[i][3] + spheres[j][3] + 1
            }
        }.count
        return Double(n) / Double(spheres.count)
    }

    /// Position of the first peak of g(r) — the contact peak of touching particles: the
    /// highest point of g (bins of 0.25 px, smoothed by a Gaussian of 0.5 px) between
    /// 2 r_min − 1 and 2 r_max + 2, for points in their bounding box.
    static func firstPeak(_ points: [[Double]], radii: ClosedRange<Double>) -> Double? {
        guard points.count >= 10 else { return nil }
        let lo = (0..<3).map { a in points.map { $0[a] }.min()! }
        let hi = (0..<3).map { a in max(points.map { $0[a] }.max()!, lo[a] + 1) }
        let rMax = 2 * radii.upperBound + 4
        let bins = STEM4DRadialDistribution.compute(points: points, lo: lo, hi: hi, rMax: rMax, binWidth: 0.25)
        let g = bins.map { $0.g.isFinite ? $0.g : 0 }
        let smooth = g.indices.map { i in
            var s = 0.0, w = 0.0
            for k in max(0, i - 4)...min(g.count - 1, i + 4) {
                let e = exp(-Double((k - i) * (k - i)) / 8)
                s += e * g[k]; w += e
            }
            return s / w
        }
        let window = bins.indices.filter { bins[$0].r >= 2 * radii.lowerBound - 1 && bins[$0].r <= 2 * radii.upperBound + 2 }
        guard let best = window.max(by: { smooth[$0] < smooth[$1] }), smooth[best] > 0 else { return nil }
        return bins[best].r
    }

    /// Plans, runs every shard and merges one stem4d job in this process; the job's notes, the
    /// merge's rows and the merge's process CPU time (s).
    public static func runJob(input: String, params: [String: String], output: String) throws
        -> (notes: [String], rows: [ResultRows], mergeCPUSeconds: Double) {
        let kind = STEM4DKind()
        var values = params
        values["output_dir"] = output
        let options = try kind.options(JobParams(values))
        let out = OutputDirectory(path: output)
        try out.prepare()
        let plan = try kind.plan(input: input, options: options, context: PlanContext(jobId: 1, outputDirectory: out.path))
        var logger = Logger(label: "stem4d.quality")
        logger.logLevel = .critical
        func context(_ task: Int) -> KindContext {
            KindContext(jobId: 1, taskId: Int64(task), attempt: 1, jobInput: input, output: out, logger: logger)
        }
        var inputs: [ShardInput<STEM4DShard.ShardPayload, STEM4DShardOutput>] = []
        for (i, payload) in plan.shards.enumerated() {
            let result = try kind.runShard(payload, options: options, context: context(i + 1))
            inputs.append(ShardInput(taskId: Int64(i + 1), payload: payload, state: .done, output: result.output))
        }
        guard let merge = plan.merge else { return (plan.notes, [], .nan) }
        let start = processCPUSeconds()
        let rows = try kind.merge(merge, shards: inputs, options: options, context: context(plan.shards.count + 1))
        return (plan.notes, rows, processCPUSeconds() - start)
    }

    /// CPU time of this process, s (all threads: the merge may use several).
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median and 10th percentile (the low tail for recall-like figures) of the finite values.
    public static func summary(_ values: [Double]) -> (median: Double, p10: Double, p90: Double, n: Int) {
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return (.nan, .nan, .nan, 0) }
        func q(_ f: Double) -> Double { v[min(v.count - 1, Int((f * Double(v.count - 1)).rounded()))] }
        return (q(0.5), q(0.1), q(0.9), v.count)
    }
}
