import Foundation
import Kernels

extension BenchSTEM4DCommand {
    /// `--lines`: speed of the line kernels on `side`² views — the Hessian at the sweep's three
    /// scales (checked against its direct-sum reference on a crop) and the whole line stereo
    /// (sweep, tracing, depth fit) on four views with a few drawn lines. Thread CPU time, best of
    /// `repeats`.
    func runLines(side: Int) {
        var rng = SeededRandom(seed: 7)
        // Four views of three straight dark lines at different depths on Poisson-like noise.
        let shifts: [(Double, Double)] = [(-0.07, 0), (0.07, 0), (0, -0.07), (0, 0.07)]
        let lines: [(Double, Double, Double, Double, Double)] = [(0.1, 0.2, 0.9, 0.7, -20), (0.2, 0.9, 0.8, 0.1, 10), (0.5, 0.05, 0.55, 0.95, 25)]
        let views: [STEM4DLineView] = shifts.map { t in
            var px = [Float](repeating: 0, count: side * side)
            for y in 0..<side {
                for x in 0..<side {
                    var v = 1.0
                    for (ax, ay, bx, by, z) in lines {
                        let x0 = ax * Double(side) - z * t.0, y0 = ay * Double(side) - z * t.1
                        let ex = (bx - ax) * Double(side), ey = (by - ay) * Double(side)
                        let u = min(1, max(0, ((Double(x) - x0) * ex + (Double(y) - y0) * ey) / (ex * ex + ey * ey)))
                        let dx = Double(x) - x0 - u * ex, dy = Double(y) - y0 - u * ey
                        v -= 0.3 * exp(-(dx * dx + dy * dy) / 2)
                    }
                    px[y * side + x] = Float(v + 0.05 * rng.gaussian())
                }
            }
            return STEM4DLineView(image: STEM4DImage(rows: side, cols: side, pixels: px), tx: t.0, ty: t.1)
        }
        func best(_ body: () -> Void) -> Double {
            (0..<repeats).map { _ in let t0 = threadCPU(); body(); return threadCPU() - t0 }.min() ?? 0
        }
        let mpx = Double(side * side) / 1e6
        for sigma in [1.0, 1.6, 2.5] {
            let t = best { _ = STEM4DHessian.compute(views[0].image, sigma: sigma) }
            let crop = STEM4DImage(rows: 23, cols: 29, pixels: (0..<(23 * 29)).map { views[0].image.pixels[($0 / 29) * side + $0 % 29] })
            let fast = STEM4DHessian.compute(crop, sigma: sigma), slow = STEM4DHessian.reference(crop, sigma: sigma)
            let diff = zip(fast.xx + fast.xy + fast.yy, slow.xx + slow.xy + slow.yy).map { abs($0 - $1) }.max() ?? 0
            print(String(format: "hessian σ %.1f: %d×%d in %.2f ms (%.1f Mpx/s); max |fast − reference| %.2e on 23×29", sigma, side, side,
                         1e3 * t, mpx / max(t, 1e-9), diff))
        }
        var found = 0
        let t = best { found = STEM4DLineSweepStereo(zRange: 40, minLength: nil).reconstruct(views).lines.count }
        print(String(format: "line stereo (sweep ±40 px, 3 scales, tracing, depth fit), 4 views %d×%d: %.1f ms, %d line(s) of 3", side, side, 1e3 * t, found))
        // The neighbours modelled (`line_neighbours`, off by default): a first pass of the
        // depth fit, then each line near another (here at the crossings) fitted again.
        for mode in [STEM4DLineSweepStereo.NeighbourModel.subtract, .joint] {
            var sweep = STEM4DLineSweepStereo(zRange: 40, minLength: nil)
            sweep.modelNeighbours = mode
            let tm = best { found = sweep.reconstruct(views).lines.count }
            print("line stereo, line_neighbours=\(mode.rawValue): " + String(format: "%.1f ms (%.2f× off), %d line(s) of 3", 1e3 * tm, tm / max(t, 1e-9), found))
        }
    }
}

private func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
