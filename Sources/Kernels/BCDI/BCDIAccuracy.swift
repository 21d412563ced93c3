import Foundation

/// The accuracy harness of issue 12: many randomised synthetic volumes
/// (`BCDIRandomCrystal`), each run through the whole finder (`BCDIVolumeAnalysis`) and scored
/// against its truth; the report is a distribution over the draws (median and 10th
/// percentile), never one volume. No database, no files.
public enum BCDIAccuracy {
    /// One scored draw.
    public struct Draw: Sendable {
        public var index: Int
        public var seed: UInt64
        public var summary: String
        public var score: BCDILineScore
        /// The score against what the noise-free blurred field resolves (`BCDIResolvableTruth`).
        public var resolvable: BCDILineScore
        /// Width of the denoising smoothing used, voxels.
        public var smoothing: Double
        public var trueLines: Int
        public var detectedLines: Int
        /// Detected lines less than half of whose points lie within the tolerance of a true line.
        public var spuriousLines: Int
        public var seconds: Double
        /// The score with the tolerance widened to the blur's half width at half maximum,
        /// max(1.5, 1.18·σ_blur) voxels (`blurTolerance`).
        public var blurScaled: BCDILineScore
        /// Where the draw's recall and precision were lost.
        public var losses: BCDILossAnalysis
        /// The blur σ the finder measured (0 when it does not deblur) and the true one.
        public var measuredBlur: Double = 0
        public var trueBlur: Double = 0
        /// Per true line, what the noise-free blurred field carries of it and what was found
        /// (`BCDIResolvableTruth.lines`).
        public var lineStatus: [BCDIResolvableTruth.LineStatus] = []
        /// Per true loop inside the crystal, its mean radius about its centroid and the mean
        /// distance from that centroid of the detected points within 3 voxels of it (0: none):
        /// how far blur and smoothing pulled the loop in (`loopRadii`).
        public var loops: [(truth: Double, traced: Double)] = []
        /// The blur left in the field the lines were traced in (`BCDIVolumeAnalysis.fieldBlur`).
        public var fieldBlur: Double = 0
        /// Per true loop, how the traced points lie about it (`loopOffsets`) and what the
        /// draw's true ramp would move it by under the blur left before the ramp came out.
        public var loopOffsets: [LoopOffsets] = []
        /// Recall over the lines the blurred field still carries (`BCDIResolvableTruth.presentRecall`).
        public var presentRecall: Double { BCDIResolvableTruth.presentRecall(lineStatus) }
        /// Recall over the lines the noise-free field still carries after the finder's own
        /// deconvolution (`BCDIResolvableTruth.restorableRecall`): the blur yardstick.
        public var restorableRecall: Double { BCDIResolvableTruth.restorableRecall(lineStatus) }
    }

    /// The report over all draws of one preset.
    public struct Report: Sendable, CustomStringConvertible {
        public var preset: String
        public var draws: [Draw]

        public var description: String {
            let recall = draws.map(\.score.recall), precision = draws.map(\.score.precision)
            let spurious = draws.map { Double($0.spuriousLines) }
            var lines = ["\(preset): \(draws.count) draws  recall \(BCDIAccuracy.spread(recall)) | precision \(BCDIAccuracy.spread(precision)) | "
                + String(format: "spurious lines per draw mean %.2f max %.0f | mean distance median %.2f vox",
                         spurious.reduce(0, +) / Double(max(1, spurious.count)), spurious.max() ?? 0,
                         BCDIAccuracy.quantile(draws.map(\.score.meanDistance), 0.5))]
            let rr = draws.map(\.resolvable.recall), rp = draws.map(\.resolvable.precision)
            let unresolved = draws.map { 1 - Double($0.resolvable.truthPoints) / Double(max(1, $0.score.truthPoints)) }
            lines.append("  resolvable (vs the noise-free field's vortices): recall \(BCDIAccuracy.spread(rr)) | precision \(BCDIAccuracy.spread(rp)) | "
                + String(format: "true points unresolved median %.3f max %.3f | smoothing median %.2f vox",
                         BCDIAccuracy.quantile(unresolved, 0.5), unresolved.max() ?? 0, BCDIAccuracy.quantile(draws.map(\.smoothing), 0.5)))
            let pr = draws.map(\.presentRecall)
            let absent = draws.map { Double($0.lineStatus.filter { !$0.present }.count) }
            lines.append("  lines the blurred field carries (≥ half their points by a noise-free residue): recall \(BCDIAccuracy.spread(pr)) | "
                + String(format: "lines absent per draw mean %.2f, in %d draws",
                         absent.reduce(0, +) / Double(max(1, absent.count)), absent.filter { $0 > 0 }.count))
            if draws.contains(where: { $0.lineStatus.contains { $0.restored != nil } }) {
                let rr = draws.map(\.restorableRecall)
                let lost = draws.map { Double($0.lineStatus.filter { !$0.restorable }.count) }
                lines.append("  lines the noise-free field carries after the finder's deconvolution: recall \(BCDIAccuracy.spread(rr)) | "
                    + String(format: "lines not restorable per draw mean %.2f, in %d draws",
                             lost.reduce(0, +) / Double(max(1, lost.count)), lost.filter { $0 > 0 }.count))
            }
            let br = draws.map(\.blurScaled.recall), bp = draws.map(\.blurScaled.precision)
            lines.append("  blur-scaled tolerance max(1.5, 1.18 σ_blur): recall \(BCDIAccuracy.spread(br)) | precision \(BCDIAccuracy.spread(bp))")
            lines.append(BCDIAccuracy.lossSummary(draws.map(\.losses)))
            if draws.contains(where: { $0.measuredBlur > 0 }) {
                let error = draws.map { $0.measuredBlur - $0.trueBlur }
                lines.append(String(format: "  blur measured − true: median %+.2f p10 %+.2f p90 %+.2f vox (true median %.2f)",
                                    BCDIAccuracy.quantile(error, 0.5), BCDIAccuracy.quantile(error, 0.1), BCDIAccuracy.quantile(error, 0.9),
                                    BCDIAccuracy.quantile(draws.map(\.trueBlur), 0.5)))
            }
            let worst = draws.sorted { min($0.score.recall, $0.score.precision) < min($1.score.recall, $1.score.precision) }.prefix(3)
            for d in worst {
                lines.append(String(format: "  worst: draw %d (seed %llu) recall %.3f precision %.3f (resolvable %.3f / %.3f), %d true / %d detected lines (%d spurious): ",
                                    d.index, d.seed, d.score.recall, d.score.precision, d.resolvable.recall, d.resolvable.precision, d.trueLines, d.detectedLines, d.spuriousLines) + d.summary)
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Seed of draw `i` of a run seeded `seed` (independent streams per draw).
    public static func drawSeed(_ seed: UInt64, _ i: Int) -> UInt64 {
        var r = SeededRandom(seed: seed).derived(UInt64(i))
        return r.next()
    }

    /// Scores `count` draws of `ranges` (named `preset` in the report) on `threads` threads;
    /// only the draws numbered in `only` when it is given (to look at a few again).
    public static func run(preset: String, ranges: BCDIRandomRanges, count: Int, seed: UInt64,
                           settings: BCDIAnalysisSettings = BCDIAnalysisSettings(), threads: Int = Parallel.defaultThreads(),
                           only: [Int]? = nil) -> Report {
        let indices = only ?? Array(0..<count)
        let draws = (try? Parallel.map(indices.count, threads: threads) { k -> Draw in
            let i = indices[k]
            let s = drawSeed(seed, i)
            return score(draw: BCDIRandomCrystal.draw(seed: s, ranges: ranges), index: i, seed: s, settings: settings)
        }) ?? []
        return Report(preset: preset, draws: draws)
    }

    /// Makes, analyses and scores one draw.
    public static func score(draw: BCDIRandomDraw, index: Int, seed: UInt64, settings: BCDIAnalysisSettings) -> Draw {
        // The yardstick rides along: the noise-free field through the finder's own deconvolution
        // (the time below includes that second deconvolution).
        let clean = BCDIResolvableTruth.noiseFree(draw.spec)
        let start = DispatchTime.now().uptimeNanoseconds
        let volume = BCDISynthetic.make(draw.spec)
        let stored = draw.supportError.apply(to: volume.support, shape: volume.shape)
        let result = BCDIVolumeAnalysis.run(re: volume.re, im: volume.im, storedSupport: stored, shape: volume.shape, settings: settings,
                                            companion: settings.deblur ? (clean.re, clean.im) : nil)
        let score = BCDIEvaluation.score(truth: volume.truth, detected: result.lines)
        let truthSegments = volume.truth.map { BCDILine(points: $0, closed: false) }.flatMap(\.segments)
        let spurious = result.lines.filter { line in
            let pts = BCDIEvaluation.resample(line, step: 0.25)
            let near = pts.filter { BCDIEvaluation.distance($0, to: truthSegments) <= 1.5 }.count
            return 2 * near < pts.count
        }.count
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let residues = BCDIResolvableTruth.residues(re: clean.re, im: clean.im, support: clean.support, shape: clean.shape)
        // Without an inversion the finder sees the blurred field itself: its residues are the yardstick.
        let restored = result.inverted > 0
            ? result.companion.map { BCDIResolvableTruth.residues(re: $0.re, im: $0.im, support: clean.support, shape: clean.shape) }
            : settings.deblur ? residues : nil
        let resolvable = BCDIResolvableTruth.score(truth: volume.truth, residues: residues, detected: result.lines)
        let losses = BCDILossAnalysis.analyse(volume: volume, result: result, residues: residues, settings: settings)
        return Draw(index: index, seed: seed, summary: draw.summary, score: score, resolvable: resolvable, smoothing: result.smoothing, trueLines: volume.truth.count,
                    detectedLines: result.lines.count, spuriousLines: spurious, seconds: seconds,
                    blurScaled: BCDIEvaluation.score(truth: volume.truth, detected: result.lines, tolerance: blurTolerance(draw.spec.blurSigma)),
                    losses: losses, measuredBlur: result.blur, trueBlur: draw.spec.blurSigma,
                    lineStatus: BCDIResolvableTruth.lines(truth: volume.truth, residues: residues, detected: result.lines, restored: restored),
                    loops: loopRadii(truth: volume.truth, detected: result.lines), fieldBlur: result.fieldBlur,
                    loopOffsets: loopOffsets(truth: volume.truth, detected: result.lines,
                                             pull: BCDIRampShift.pull(ramp: draw.spec.ramp, blur: result.blur, inverted: result.inverted)))
    }

    /// How the detected points near one true loop lie about it, in the loop's own frame (its
    /// centroid, the normal of its best-fit plane): the offset of each detected point within 3
    /// voxels from its nearest true point, split into the part along the in-plane radius and the
    /// part along the normal, each as its mean over the loop and its first azimuthal harmonic's
    /// amplitude (a loop moved sideways in its plane: a radial harmonic; tilted: a normal one).
    public struct LoopOffsets: Sendable {
        public var radialMean = 0.0, radialSide = 0.0, normalMean = 0.0, normalTilt = 0.0
        /// |pull·n̂| and |pull − (pull·n̂) n̂|: the uniform radial move and the tilt a ramp's
        /// `BCDIRampShift.pull` gives the loop.
        public var rampRadial = 0.0, rampTilt = 0.0
        public var points = 0
        /// Per eighth of the loop's azimuth: the mean radial and normal offsets, and the fraction
        /// of its points farther than 1.5 voxels from the truth.
        public var sectors: [SIMD3<Double>] = []
    }

    /// Per true loop (as `loopRadii`), `LoopOffsets` of the detected points; `pull` the true
    /// ramp's `BCDIRampShift.pull`.
    public static func loopOffsets(truth: [[SIMD3<Double>]], detected: [BCDILine], pull: SIMD3<Double>) -> [LoopOffsets] {
        let points = detected.flatMap { BCDIEvaluation.resample($0, step: 0.25) }
        return truth.compactMap { run -> LoopOffsets? in
            guard run.count >= 8, let first = run.first, let last = run.last, BCDIVec.length(first - last) <= 1 else { return nil }
            let centre = run.reduce(SIMD3<Double>.zero, +) / Double(run.count)
            // The plane's normal: the direction of the loop's area vector, Σ r_i × r_{i+1} / 2.
            var area = SIMD3<Double>.zero
            for i in 0..<run.count {
                let (a, b) = (run[i] - centre, run[(i + 1) % run.count] - centre)
                area += SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
            }
            guard BCDIVec.length(area) > 0 else { return nil }
            let n = BCDIVec.normalized(area)
            let e1 = BCDIVec.normalized((run[0] - centre) - n * BCDIVec.dot(run[0] - centre, n))
            let e2 = SIMD3(n.y * e1.z - n.z * e1.y, n.z * e1.x - n.x * e1.z, n.x * e1.y - n.y * e1.x)
            var out = LoopOffsets()
            out.rampRadial = abs(BCDIVec.dot(pull, n))
            out.rampTilt = BCDIVec.length(pull - n * BCDIVec.dot(pull, n))
            var (r0, rc, rs, z0, zc, zs) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var sectors = [SIMD4<Double>](repeating: .zero, count: 8)
            for p in points {
                var best = Double.infinity, t = run[0]
                for q in run where BCDIVec.length(q - p) < best { best = BCDIVec.length(q - p); t = q }
                guard best <= 3 else { continue }
                let rt = (t - centre) - n * BCDIVec.dot(t - centre, n)
                guard BCDIVec.length(rt) > 0 else { continue }
                let rhat = BCDIVec.normalized(rt)
                let theta = atan2(BCDIVec.dot(rhat, e2), BCDIVec.dot(rhat, e1))
                let (dr, dz) = (BCDIVec.dot(p - t, rhat), BCDIVec.dot(p - t, n))
                r0 += dr; rc += dr * cos(theta); rs += dr * sin(theta)
                z0 += dz; zc += dz * cos(theta); zs += dz * sin(theta)
                out.points += 1
                let k = min(7, max(0, Int(((theta + Double.pi) / (2 * Double.pi) * 8).rounded(.down))))
                sectors[k] += SIMD4(dr, dz, best > 1.5 ? 1 : 0, 1)
            }
            out.sectors = sectors.map { $0.w > 0 ? SIMD3($0.x / $0.w, $0.y / $0.w, $0.z / $0.w) : .zero }
            guard out.points > 0 else { return out }
            let m = Double(out.points)
            out.radialMean = r0 / m
            out.radialSide = 2 * (rc * rc + rs * rs).squareRoot() / m
            out.normalMean = z0 / m
            out.normalTilt = 2 * (zc * zc + zs * zs).squareRoot() / m
            return out
        }
    }

    /// Per true loop (a truth run whose ends meet: a loop wholly inside the crystal), its mean
    /// radius about its centroid and the mean distance from that centroid of the detected
    /// points (resampled every 0.25 voxel) within 3 voxels of it; 0 when none is.
    public static func loopRadii(truth: [[SIMD3<Double>]], detected: [BCDILine]) -> [(truth: Double, traced: Double)] {
        let points = detected.flatMap { BCDIEvaluation.resample($0, step: 0.25) }
        return truth.compactMap { run -> (truth: Double, traced: Double)? in
            guard run.count >= 8, let first = run.first, let last = run.last, BCDIVec.length(first - last) <= 1 else { return nil }
            let centre = run.reduce(SIMD3<Double>.zero, +) / Double(run.count)
            let radius = run.map { BCDIVec.length($0 - centre) }.reduce(0, +) / Double(run.count)
            let segments = BCDILine(points: run, closed: true).segments
            let near = points.filter { BCDIEvaluation.distance($0, to: segments) <= 3 }.map { BCDIVec.length($0 - centre) }
            return (radius, near.isEmpty ? 0 : near.reduce(0, +) / Double(near.count))
        }
    }

    /// The matching tolerance that does not ask for more than the data resolve: 1.5 voxels, or
    /// the half width at half maximum of the blur (√(2 ln 2)·σ ≈ 1.18σ) when that is wider.
    /// Blur moves the vortices of curved and close lines in the field itself (a loop of radius
    /// r shrinks, a close pair attracts, by ≈ σ²/r), so a finder cannot place them better.
    public static func blurTolerance(_ blurSigma: Double) -> Double {
        max(1.5, (2 * 0.6931471805599453).squareRoot() * blurSigma)
    }

    /// One line: the mean over draws of each cause of lost recall and precision.
    static func lossSummary(_ losses: [BCDILossAnalysis]) -> String {
        let n = Double(max(1, losses.count))
        func mean(_ values: [[String: Double]], _ keys: [String]) -> String {
            keys.map { k in String(format: "%@ %.3f", k, values.map { $0[k] ?? 0 }.reduce(0, +) / n) }.joined(separator: ", ")
        }
        let near = losses.map(\.missedNearOtherLine).reduce(0, +) / n
        return "  recall lost (mean fraction of true points): " + mean(losses.map(\.missed), ["unresolved", "outside", "surface", "no-core", "filtered", "tracing"])
            + String(format: " (of which near another line %.3f)", near)
            + " | precision lost: " + mean(losses.map(\.wrong), ["surface", "near-line", "interior"])
    }

    /// "median m p10 q min n" of a figure over the draws, as every line of the report gives it.
    public static func spread(_ values: [Double]) -> String {
        String(format: "median %.3f p10 %.3f min %.3f", quantile(values, 0.5), quantile(values, 0.1), values.min() ?? 0)
    }

    /// The `q` quantile (linear interpolation between order statistics; 0 for no values).
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        let p = q * Double(s.count - 1)
        let lo = Int(p.rounded(.down)), hi = min(s.count - 1, lo + 1)
        return s[lo] + (s[hi] - s[lo]) * (p - Double(lo))
    }
}
