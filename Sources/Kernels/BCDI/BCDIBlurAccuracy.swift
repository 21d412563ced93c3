import Dispatch

/// How well the blur σ is measured, over randomised draws (`ctl bench bcdi --blur-estimate`):
/// the surface-variogram estimate (`BCDIBlurEstimate`, what `deblur` used in the fifth session)
/// against the direct fit (`BCDIBlurDirectFit`) with and without the vortex neighbourhoods,
/// each on the draw as made and on the same draw without its dislocations (what is the
/// surface model's own bias and what the lines add).
public enum BCDIBlurAccuracy {
    /// One draw's estimates, voxels.
    public struct Draw: Sendable {
        public var index: Int
        public var trueBlur: Double
        /// [variogram, direct fit keeping the vortices, direct fit without them], with lines.
        public var withLines: [Double]
        /// The same three on the draw without dislocations.
        public var withoutLines: [Double]
        public var residues: Int
        public var seconds: Double
    }

    public static let methods = ["variogram", "direct (vortices kept)", "direct (vortices left out)"]

    /// Estimates on `count` draws of `ranges` seeded `seed`.
    public static func run(ranges: BCDIRandomRanges, count: Int, seed: UInt64, threads: Int = Parallel.defaultThreads()) -> [Draw] {
        (try? Parallel.map(count, threads: threads) { i -> Draw in
            let s = BCDIAccuracy.drawSeed(seed, i)
            let draw = BCDIRandomCrystal.draw(seed: s, ranges: ranges)
            let start = DispatchTime.now().uptimeNanoseconds
            var residues = 0
            func estimates(_ spec: BCDISyntheticSpec, count: Bool) -> [Double] {
                let v = BCDISynthetic.make(spec)
                let stored = draw.supportError.apply(to: v.support, shape: v.shape)
                let support = BCDIVolumeAnalysis.prepare(re: v.re, im: v.im, storedSupport: stored, shape: v.shape,
                                                         settings: BCDIAnalysisSettings()).support
                let variogram = BCDIBlurEstimate.estimate(re: v.re, im: v.im, support: support, shape: v.shape).sigma
                let kept = BCDIBlurDirectFit.estimate(re: v.re, im: v.im, shape: v.shape, excludeVortices: false).sigma
                let out = BCDIBlurDirectFit.estimate(re: v.re, im: v.im, shape: v.shape)
                if count { residues = out.residues }
                return [variogram, kept, out.sigma]
            }
            let with = estimates(draw.spec, count: true)
            var plain = draw.spec
            plain.dislocations = []
            let without = estimates(plain, count: false)
            return Draw(index: i, trueBlur: draw.spec.blurSigma, withLines: with, withoutLines: without, residues: residues,
                        seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }) ?? []
    }

    /// Median, 10th and 90th percentile of measured − true for each method.
    public static func summary(_ draws: [Draw]) -> String {
        var lines: [String] = []
        for (k, name) in methods.enumerated() {
            for lined in [true, false] {
                let e = draws.map { (lined ? $0.withLines[k] : $0.withoutLines[k]) - $0.trueBlur }
                let a = e.map { abs($0) }
                lines.append(String(format: "  %-27@ %@: measured − true median %+.2f p10 %+.2f p90 %+.2f, |error| median %.2f p90 %.2f",
                                    name, lined ? "with lines   " : "without lines",
                                    BCDIAccuracy.quantile(e, 0.5), BCDIAccuracy.quantile(e, 0.1), BCDIAccuracy.quantile(e, 0.9),
                                    BCDIAccuracy.quantile(a, 0.5), BCDIAccuracy.quantile(a, 0.9)))
            }
        }
        return lines.joined(separator: "\n")
    }
}
