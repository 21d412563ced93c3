/// 3D dislocation lines from any number of views of one scan (the two views of each stereo
/// pair), with no row matching: ridges are found in all views at once by a depth sweep
/// (`STEM4DRidgeSweep`), followed into curves (`STEM4DRidgeTracer`), and each curve's depth
/// is fitted from the shifts of its cross-section between the views along its normal
/// (`STEM4DLineDepthFit`). Points are `[x, y, z]` in scan px, z positive downstream.
public struct STEM4DLineSweepStereo: Sendable, Hashable {
    /// Largest |z|, scan px.
    public var zRange: Double
    /// Shortest line kept, px.
    public var minLength: Double
    /// The sweep's scales, px.
    public var scales: [Double] = [1.0, 1.6, 2.5]

    /// Lines within ±`zRange` px of the focal plane, at least `minLength` px long.
    public init(zRange: Double, minLength: Double) { self.zRange = zRange; self.minLength = minLength }

    /// The 3D lines and, for the report, the sweep map.
    public func reconstruct(_ views: [STEM4DLineView]) -> (lines: [STEM4DLine3D], map: STEM4DRidgeSweep.Map?) {
        guard views.count >= 2, views[0].image.rows >= 3, views[0].image.cols >= 3 else { return ([], nil) }
        let normalised = views.map { $0.normalised() }
        let sweep = STEM4DRidgeSweep(zRange: zRange, scales: scales)
        let map = sweep.run(normalised)
        let curves = STEM4DRidgeTracer(minLength: minLength).trace(map)
        var out: [STEM4DLine3D] = []
        // Cross-sections read from views smoothed at each curve's own scale.
        var smoothedViews: [Int: [STEM4DLineView]] = [:]
        for traced in curves {
            let curve = traced.points.map { SIMD2($0.x, $0.y) }
            let sigma = scales[traced.scale]
            if smoothedViews[traced.scale] == nil {
                smoothedViews[traced.scale] = normalised.map {
                    STEM4DLineView(image: $0.image.gaussianBlurred(sigma: sigma / 2), tx: $0.tx, ty: $0.ty)
                }
            }
            let start = STEM4DLineDepthFit.smoothed(traced.points.map(\.z), half: 3)
            let fit = STEM4DLineDepthFit(halfWidth: (3 * sigma + 1).rounded(), zRange: zRange)
                .fit(curve: curve, start: start, views: smoothedViews[traced.scale]!, maxChange: map.depthStep)
            // Stretches whose depth no pair poses (one pair, line along its baseline) are left out.
            var run: [[Double]] = []
            func flush() {
                if Self.length(run) >= minLength { out.append(STEM4DLine3D(points: run, reprojectionRMS: fit.rms)) }
                run = []
            }
            for (k, p) in curve.enumerated() {
                if fit.posed[k] { run.append([p.x, p.y, fit.z[k]]) } else { flush() }
            }
            flush()
        }
        return (out, map)
    }

    static func length(_ points: [[Double]]) -> Double {
        STEM4DRidgeTracer.length(points.map { SIMD2($0[0], $0[1]) })
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s[s.count / 2]
    }
}
