/// A view's tilt spread pooled at several resolutions, for `STEM4DParticleModelFit`.
///
/// A sphere at depth z seen through a detector of tilt spread S is the sum of its chords shifted
/// by −z·s over s ∈ S. Pooled into cells of width δ (tilt), each cell's images still spread
/// over up to |z|·δ px, which the fit does not model; far from focus through a wide detector
/// (a quadrant: δ ≈ α/3 in 3 × 3 cells, 1–2 px at |z| ≈ 30) that hangs small spheres on strong
/// ones. So the cells are chosen per depth: the coarsest pooling whose cells span at most
/// `cellPx` scan px at |z|, never coarser than 3 × 3 (the method of 5 December), and never
/// finer than the spread as given (a detector pixel each).
struct STEM4DParticleSpreadLevels {
    /// Pooled spreads, coarsest first (3 × 3 cells up), weights summing to 1.
    let levels: [[STEM4DParticleModelFit.Spread]]
    /// Each level's cell width (tilt, the wider of its two axes).
    let cellWidth: [Double]
    /// The widest smear a cell may carry, scan px; 0: the given spread at every depth.
    let cellPx: Double

    /// The resolutions tried, cells per axis.
    static let bins = [3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64]

    /// Levels from `fine` (offsets about the mean tilt with weights summing to 1). With
    /// `cellPx` ≤ 0 or a single entry, one level: `fine` as given.
    init(_ fine: [STEM4DParticleModelFit.Spread], cellPx: Double) {
        guard cellPx > 0, fine.count > 1 else { levels = [fine]; cellWidth = [0]; self.cellPx = 0; return }
        let lx = fine.map(\.dtx).min()!, hx = fine.map(\.dtx).max()!, ly = fine.map(\.dty).min()!, hy = fine.map(\.dty).max()!
        let extent = max(hx - lx, hy - ly)
        var levels: [[STEM4DParticleModelFit.Spread]] = [], widths: [Double] = []
        for n in Self.bins {
            let pooled = Self.pool(fine, bins: n, lx: lx, hx: hx, ly: ly, hy: hy)
            levels.append(pooled); widths.append(extent / Double(n))
            if pooled.count >= fine.count { break }
        }
        self.levels = levels; cellWidth = widths; self.cellPx = cellPx
    }

    /// The pooling for depth `z`: the coarsest whose cells smear at most `cellPx` there.
    @inline(__always) func cells(depth z: Double) -> [STEM4DParticleModelFit.Spread] {
        guard cellPx > 0 else { return levels[0] }
        let a = abs(z)
        for k in levels.indices where cellWidth[k] * a <= cellPx { return levels[k] }
        return levels[levels.count - 1]
    }

    /// `fine` pooled into `bins` × `bins` cells of its bounding box: each cell's weighted mean
    /// offset and its total weight (empty cells dropped).
    static func pool(_ fine: [STEM4DParticleModelFit.Spread], bins n: Int, lx: Double, hx: Double, ly: Double, hy: Double)
        -> [STEM4DParticleModelFit.Spread] {
        var cells = [(Double, Double, Double)](repeating: (0, 0, 0), count: n * n)
        for p in fine {
            let bx = hx > lx ? min(n - 1, Int(Double(n) * (p.dtx - lx) / (hx - lx))) : 0
            let by = hy > ly ? min(n - 1, Int(Double(n) * (p.dty - ly) / (hy - ly))) : 0
            cells[by * n + bx].0 += p.weight * p.dtx; cells[by * n + bx].1 += p.weight * p.dty; cells[by * n + bx].2 += p.weight
        }
        return cells.filter { $0.2 > 0 }.map { STEM4DParticleModelFit.Spread(dtx: $0.0 / $0.2, dty: $0.1 / $0.2, weight: $0.2) }
    }
}
