import Foundation

/// For study outside the job (`SLIPLINE_STEM4D_TRACE`): what each sphere near the traced place
/// gains, split by the kind of pixel it gains on, and what the depth-outlier rule measured.
extension STEM4DParticleTrace {
    /// For each sphere near the traced place: its χ² gain (the model without it less the model
    /// with it, the others held, weights of the model with it) over its pixels in every view
    /// (`weightedPixels`, 2 px of pad), split into censored pixels, pixels the model with it
    /// predicts under the floor it is held at ("held"; those the model without it already
    /// predicts under it apart), and the rest ("plain") — under the model the fit uses and
    /// under the linear prediction (`floorHeld` off, the censored model kept), with the
    /// criterion's 5 ln n for one sphere.
    static func gains(_ state: STEM4DParticleModelState, sigmas: [Double]) {
        guard on else { return }
        for k in state.spheres.indices where near(state.spheres[k]) {
            let s = state.spheres[k]
            let pixels = state.weightedPixels(of: [s])
            func predictions() -> [Double] {
                pixels.map { p in state.background(p.v, p.i % state.w, p.i / state.w) - state.plane[p.v].0 * state.model[p.v][p.i] }
            }
            let with = predictions()
            state.render(s, sign: -1)
            let without = predictions()
            state.render(s, sign: 1)
            // Classes: 0 censored, 1 held (under the floor with it, above without), 2 held (under
            // with and without), 3 plain.
            var held = [Double](repeating: 0, count: 4), linear = held, count = [Int](repeating: 0, count: 4)
            for (n, p) in pixels.enumerated() {
                let counts = state.images[p.v][p.i]
                let hold = state.holdFloor.isEmpty ? -Double.infinity : state.holdFloor[p.v]
                func residual(_ pred: Double, heldAt: Bool) -> Double {
                    if state.isCensored(p.v, p.i) { return max(0, pred - state.floor[p.v]) }
                    return counts - (heldAt ? max(hold, pred) : pred)
                }
                let cls = state.isCensored(p.v, p.i) ? 0 : with[n] < hold ? (without[n] < hold ? 2 : 1) : 3
                count[cls] += 1
                let r1 = residual(with[n], heldAt: true), r0 = residual(without[n], heldAt: true)
                held[cls] += (r0 * r0 - r1 * r1) * p.iv
                let l1 = residual(with[n], heldAt: false), l0 = residual(without[n], heldAt: false)
                linear[cls] += (l0 * l0 - l1 * l1) * p.iv
            }
            let f = { (a: [Double]) in
                String(format: "censored %.1f, held (pushed under) %.1f, held (under without) %.1f, plain %.1f; sum %.1f",
                       a[0], a[1], a[2], a[3], a.reduce(0, +))
            }
            say("gain #\(k) \(text(s)) σz \(String(format: "%.2f", k < sigmas.count ? sigmas[k] : .nan)) pixels \(pixels.count) "
                + "(censored \(count[0]), pushed under \(count[1]), under without \(count[2]), plain \(count[3])), "
                + "5 ln n \(String(format: "%.1f", 5 * log(Double(max(1, pixels.count)))))")
            say("gain #\(k) held model: " + f(held))
            say("gain #\(k) linear prediction: " + f(linear))
        }
    }

    /// The depth-outlier rule's inputs: how many spheres, their σz median and quantiles, the
    /// threshold, and how many it drops.
    static func rule(_ sigmas: [Double], factor: Double, keep: [Bool], label: String) {
        guard on else { return }
        let finite = sigmas.filter(\.isFinite).sorted()
        guard !finite.isEmpty else { say("depth-outlier rule \(label): no finite σz"); return }
        let n = finite.count
        let median = n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2
        let q = { (p: Double) in finite[min(n - 1, Int(p * Double(n)))] }
        say("depth-outlier rule \(label): \(sigmas.count) spheres (\(n) finite σz), median \(String(format: "%.3f", median)), "
            + "threshold \(String(format: "%.3f", factor * median)); σz p10 \(String(format: "%.2f", q(0.1))) p25 \(String(format: "%.2f", q(0.25))) "
            + "p75 \(String(format: "%.2f", q(0.75))) p90 \(String(format: "%.2f", q(0.9))); kept \(keep.filter { $0 }.count), dropped \(keep.filter { !$0 }.count)")
    }
}
