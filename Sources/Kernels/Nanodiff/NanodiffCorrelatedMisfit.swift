import Foundation

/// The tilt model's misfit as a smooth random field rather than independent scatter: the test of
/// a step is generalised least squares with covariance
/// V = R^(−½) (Σ + T P T) R^(−½), Σ = diag(σᵢ²) the Poisson errors, T = diag(τᵢ) the local misfit
/// (`NanodiffLocalMisfit`), P its correlation over the scan, R the bisquare weights (kriging with a
/// non-stationary variance; Cressie 1993, ch. 3).
///
/// Why (docs/nanodiff.md, session 7): with independent misfit (`local`), a boundary the model has
/// not yet been told about inflates τ over the whole half-plane next to it (what the quadratic
/// bend leaves of a step is a sawtooth, largest at the line), so the positions that carry the
/// step's evidence weigh as little as its own residual — the test saturates and weak steps near
/// cores are missed. Modelled as a field that is correlated over several steps, the same misfit
/// can follow a bend or a core's halo but not a jump from one position to the next: the step
/// keeps its evidence, and smooth misfit along a line no longer looks like one (κ is not needed).
///
/// The correlation P is chosen per map and fit by maximum likelihood (profiled over the model's
/// coefficients) among the `families`' lengths; ℓ = 0 is the independent misfit of `local`.
/// Two families (session 8): an isotropic Gaussian exp(−d²/2ℓ²) — a field smooth at every scale —
/// and a separable exponential exp(−(|dx| + |dy|)/ℓ) (Matérn ν = ½ along each scan axis) — a
/// field rough at short range and aligned with the scan grid, as a box average or row-wise scan
/// artefacts are. With the Gaussian alone, a box-smoothed misfit (whose correlation falls
/// linearly from 0 and whose jumps line up with the scan axes) was read as a step along an axis:
/// the likelihood picked ℓ = 1, the line F's median was right but its upper tail 2–3× the null's
/// (p99 6.6–9.5 against 3.3), and the best line cleared the threshold in each of 5 maps. Neither
/// a smoother variance (τ² over 3ℓ, or one τ² for the map), nor dropping the bisquare weights, nor
/// an isotropic exponential removed it; the separable family, chosen by the likelihood on those
/// maps, does (docs/nanodiff.md, session 8).
///
/// Scale: V is block-diagonal over tiles of at most `tileSide` positions a side (a composite
/// likelihood over blocks; Caragea & Smith 2007): a map up to that side is one tile, the exact
/// GLS; a 200×200 map is 49 tiles of ≈ 29², each factored once. Every quantity a line's F needs is
/// then a sum over tiles — hᵀV⁻¹e and XᵀV⁻¹h from u = V⁻¹e and B = V⁻¹X by running sums, hᵀV⁻¹h
/// from each tile's precision Q = V_t⁻¹ — so a whole angle's offsets cost O(N · tile) instead of
/// a triangular solve per column.
public struct NanodiffCorrelatedMisfit {
    /// A correlation family of the misfit field.
    public enum Family: String, Sendable, CaseIterable {
        /// exp(−d²/2ℓ²): smooth at every scale (session 7).
        case gaussian
        /// exp(−(|dx| + |dy|)/ℓ): rough at short range, aligned with the scan axes (session 8).
        case separableExponential = "separable"

        /// The lengths (scan steps) the likelihood chooses among; the Gaussian's 0 is independent misfit.
        public var lengths: [Double] {
            switch self {
            case .gaussian: return [0, 0.7, 1, 1.5, 2, 3, 4.5, 6]
            case .separableExponential: return [1.4, 2, 3, 4, 6, 9, 12]
            }
        }

        /// The correlation at offset `d` (steps) for length `length` > 0.
        @inline(__always)
        func correlation(_ d: SIMD2<Double>, length: Double) -> Double {
            switch self {
            case .gaussian: return exp(-(d * d).sum() / (2 * length * length))
            case .separableExponential: return exp(-(abs(d.x) + abs(d.y)) / length)
            }
        }
    }

    /// What jobs use: both families, the likelihood choosing (session 8).
    public static let standardFamilies: [Family] = [.gaussian, .separableExponential]
    /// Largest tile side (positions): maps up to it are one tile.
    public static let defaultTileSide = 32
    /// When a map has more tiles than this, the correlation is chosen on this many tiles spread
    /// over it (a subsample of the composite likelihood; the factors of the chosen one are then
    /// computed for every tile).
    public static let likelihoodTiles = 4

    /// Indices (into the model's fitted positions) of the positions with weight, in order.
    public let kept: [Int]
    /// The chosen correlation length (steps) and family.
    public let length: Double
    public let family: Family
    /// Residual degrees of freedom: kept positions minus columns.
    public let dof: Int
    /// The tiles: indices into `kept`.
    public let tiles: [[Int]]
    let columns: Int
    /// Per tile the precision V_t⁻¹ (row-major m_t×m_t) and the sum of its entries.
    let precision: [[Double]], precisionTotal: [Double]
    /// Per kept position its tile and its index in the tile.
    let tileOf: [Int], indexInTile: [Int]
    /// u = V⁻¹ê (one per kept position) and B = V⁻¹X (row-major, kept × columns).
    let u: [Double], b: [Double]
    /// Cholesky factor of XᵀV⁻¹X (k×k) and the null fit's êᵀV⁻¹ê.
    let gram: [Double], rss: Double
    let algebra: NanodiffDenseAlgebra

    /// The null fit of `y` (one value per `model` position) with errors `sigma` under the misfit
    /// field whose variance and bisquare weights are those of the robust fit `fit`.
    /// For ℓ above the local misfit's bandwidth τᵢ² is smoothed again from the fit's residuals
    /// over ℓ: the variance of a field correlated over ℓ cannot be read from a smaller window.
    public init?(model: NanodiffTiltModel, y: [Double], sigma: [Double], fit: NanodiffTiltModel.Fit, width: Int, height: Int,
                 families: [Family] = standardFamilies, lengths: [Double]? = nil, tileSide: Int = defaultTileSide,
                 algebra: NanodiffDenseAlgebra = .reference) {
        let kept = model.positions.indices.filter { fit.robust[$0] > 0 }
        let m = kept.count, k = model.columns
        guard m > k + 2, fit.tau2.count == model.positions.count, tileSide > 0 else { return nil }
        self.kept = kept
        self.columns = k
        self.algebra = algebra
        dof = m - k
        let xy = kept.map { SIMD2(Double(model.positions[$0] % width), Double(model.positions[$0] / width)) }
        let scale = kept.map { 1 / fit.robust[$0].squareRoot() }
        var x = [Double](repeating: 0, count: m * k)
        for (r, i) in kept.enumerated() { for c in 0..<k { x[r * k + c] = model.design[i * k + c] } }
        let yk = kept.map { y[$0] }

        // Tiles: a balanced grid of at most tileSide positions a side.
        let nx = (width + tileSide - 1) / tileSide, ny = (height + tileSide - 1) / tileSide
        var grouped = [[Int]](repeating: [], count: nx * ny)
        for r in 0..<m {
            let p = model.positions[kept[r]]
            grouped[(p / width) * ny / height * nx + (p % width) * nx / width].append(r)
        }
        let tiles = grouped.filter { !$0.isEmpty }
        self.tiles = tiles
        var tileOf = [Int](repeating: 0, count: m), indexInTile = tileOf
        for (t, tile) in tiles.enumerated() { for (i, r) in tile.enumerated() { tileOf[r] = t; indexInTile[r] = i } }
        self.tileOf = tileOf
        self.indexInTile = indexInTile

        let bandwidth = model.localMisfit?.bandwidth ?? NanodiffLocalMisfit.defaultBandwidth
        func tau2(_ length: Double) -> [Double] {
            length > bandwidth
                ? NanodiffLocalMisfit(width: width, height: height, positions: model.positions, bandwidth: length).variance(residuals: fit.residuals, sigma: sigma)
                : fit.tau2
        }
        /// The lower Cholesky factor of V over one tile.
        func factor(_ tile: [Int], _ family: Family, _ length: Double, _ tau2: [Double]) -> [Double]? {
            let n = tile.count
            var v = [Double](repeating: 0, count: n * n)
            for a in 0..<n {
                let ra = tile[a], ia = kept[ra]
                for c in 0...a {
                    let rc = tile[c], ic = kept[rc]
                    let value: Double
                    if a == c {
                        value = sigma[ia] * sigma[ia] + tau2[ia]
                    } else if length > 0 {
                        value = (tau2[ia] * tau2[ic]).squareRoot() * family.correlation(xy[ra] - xy[rc], length: length)
                    } else {
                        value = 0
                    }
                    v[a * n + c] = value * scale[ra] * scale[rc]
                }
            }
            return algebra.cholesky(&v, size: n) ? v : nil
        }

        // The correlation by maximum likelihood: profiled over β on every tile when there are few,
        // else on `likelihoodTiles` tiles spread over the map with the robust fit's residuals.
        let profiled = tiles.count <= Self.likelihoodTiles
        let sample = profiled ? Array(tiles.indices)
            : (0..<Self.likelihoodTiles).map { ($0 * (tiles.count - 1) + (Self.likelihoodTiles - 1) / 2) / (Self.likelihoodTiles - 1) }
        var candidates: [(Family, Double)] = []
        for family in families { for length in lengths ?? family.lengths where family == .gaussian || length > 0 { candidates.append((family, length)) } }
        var best: (logLikelihood: Double, family: Family, length: Double)?
        for (family, length) in candidates {
            let t2 = tau2(length)
            var g = [Double](repeating: 0, count: k * k), rhs = [Double](repeating: 0, count: k)
            var logDet = 0.0, quadratic = 0.0
            var whitened: [(x: [Double], y: [Double])] = []
            var ok = true
            for t in sample {
                let tile = tiles[t], n = tile.count
                guard let l = factor(tile, family, length, t2) else { ok = false; break }
                for a in 0..<n { logDet += log(l[a * n + a]) }
                var xw = [Double](repeating: 0, count: n * k)
                var yw = tile.map { profiled ? yk[$0] : fit.residuals[kept[$0]] }
                for (a, r) in tile.enumerated() { for c in 0..<k { xw[a * k + c] = x[r * k + c] } }
                l.withUnsafeBufferPointer { lb in
                    if profiled { xw.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, n, k, lb.baseAddress!, n, $0.baseAddress!, k) } }
                    yw.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, n, 1, lb.baseAddress!, n, $0.baseAddress!, 1) }
                }
                if profiled {
                    for r in 0..<n {
                        for a in 0..<k {
                            rhs[a] += xw[r * k + a] * yw[r]
                            for c in 0...a { g[a * k + c] += xw[r * k + a] * xw[r * k + c] }
                        }
                    }
                    whitened.append((xw, yw))
                } else {
                    quadratic += yw.reduce(0) { $0 + $1 * $1 }
                }
            }
            guard ok else { continue }
            if profiled {
                guard let chol = NanodiffTiltModel.cholesky(g, size: k) else { continue }
                let beta = SmallCholesky.solve(chol, size: k, rhs)
                for (xw, yw) in whitened {
                    for r in yw.indices {
                        let e = yw[r] - (0..<k).reduce(0) { $0 + xw[r * k + $1] * beta[$1] }
                        quadratic += e * e
                    }
                }
            }
            // Log-likelihood up to a constant: −½ eᵀV⁻¹e − log|L|.
            let logLikelihood = -0.5 * quadratic - logDet
            if best == nil || logLikelihood > best!.logLikelihood { best = (logLikelihood, family, length) }
        }
        guard let best else { return nil }
        length = best.length
        family = best.family

        // Every tile's precision Q_t = L⁻ᵀL⁻¹ and B_t = Q_t X_t; then the GLS fit.
        let t2 = tau2(best.length)
        var precision: [[Double]] = [], totals: [Double] = []
        var b = [Double](repeating: 0, count: m * k)
        var g = [Double](repeating: 0, count: k * k), rhs = [Double](repeating: 0, count: k)
        for tile in tiles {
            let n = tile.count
            guard let l = factor(tile, best.family, best.length, t2) else { return nil }
            var inverse = [Double](repeating: 0, count: n * n)
            for a in 0..<n { inverse[a * n + a] = 1 }
            l.withUnsafeBufferPointer { lb in
                inverse.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, n, n, lb.baseAddress!, n, $0.baseAddress!, n) }
            }
            // Q = MᵀM for M = L⁻¹: with A = Mᵀ, 0 − A·Aᵀ = −Q.
            var transposed = [Double](repeating: 0, count: n * n)
            for a in 0..<n { for c in 0...a { transposed[c * n + a] = inverse[a * n + c] } }
            var q = [Double](repeating: 0, count: n * n)
            transposed.withUnsafeBufferPointer { ab in
                q.withUnsafeMutableBufferPointer { algebra.subtractProduct(n, n, n, ab.baseAddress!, n, ab.baseAddress!, n, $0.baseAddress!, n) }
            }
            for a in 0..<(n * n) { q[a] = -q[a] }
            totals.append(q.reduce(0, +))
            // B_t = Q X_t, row by row (Q symmetric).
            for a in 0..<n {
                let ra = tile[a]
                for c in 0..<n {
                    let qa = q[a * n + c]
                    if qa == 0 { continue }
                    let rc = tile[c]
                    for j in 0..<k { b[ra * k + j] += qa * x[rc * k + j] }
                }
            }
            precision.append(q)
        }
        for r in 0..<m {
            for a in 0..<k {
                rhs[a] += b[r * k + a] * yk[r]
                for c in 0...a { g[a * k + c] += b[r * k + a] * x[r * k + c] }
            }
        }
        guard let chol = NanodiffTiltModel.cholesky(g, size: k) else { return nil }
        let beta = SmallCholesky.solve(chol, size: k, rhs)
        let e = (0..<m).map { r in yk[r] - (0..<k).reduce(0) { $0 + x[r * k + $1] * beta[$1] } }
        var u = [Double](repeating: 0, count: m)
        for (t, tile) in tiles.enumerated() {
            let n = tile.count, q = precision[t]
            for a in 0..<n {
                var s = 0.0
                for c in 0..<n { s += q[a * n + c] * e[tile[c]] }
                u[tile[a]] = s
            }
        }
        self.precision = precision
        precisionTotal = totals
        self.u = u
        self.b = b
        gram = chol
        rss = zip(e, u).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// F and step from a column's hᵀV⁻¹e, XᵀV⁻¹h and hᵀV⁻¹h: (hᵀV⁻¹e)² / q over what is left per
    /// residual degree of freedom, q = hᵀV⁻¹h − ‖L_G⁻¹XᵀV⁻¹h‖²; 0 for a column the model spans.
    @inline(__always)
    func ratio(he: Double, c: [Double], hh: Double) -> (f: Double, step: Double) {
        let z = SmallCholesky.forward(gram, size: columns, c)
        let q = hh - z.reduce(0) { $0 + $1 * $1 }
        guard q > 1e-9 * hh, hh > 0 else { return (0, 0) }
        let drop = he * he / q
        return (drop / max(1e-300, rss - drop) * Double(dof), he / q)
    }

    /// Per candidate column (`h`: `count` columns, row-major over the model's fitted positions,
    /// [positions × count]) the F ratio of adding it to the null model and its fitted amplitude
    /// (the step). Columns constant over a tile use its sums; the rest go through one product
    /// with the tile's precision.
    public func ratios(_ h: [Double], count: Int) -> (f: [Double], step: [Double]) {
        let k = columns
        var he = [Double](repeating: 0, count: count), hh = he
        var c = [Double](repeating: 0, count: count * k)
        for (t, tile) in tiles.enumerated() {
            let n = tile.count
            // Hᵀ over the tile (count × n).
            var ht = [Double](repeating: 0, count: count * n)
            var constant = true
            for (a, r) in tile.enumerated() {
                let row = kept[r] * count
                for j in 0..<count {
                    let value = h[row + j]
                    ht[j * n + a] = value
                    if a > 0 && value != ht[j * n] { constant = false }
                }
            }
            for (a, r) in tile.enumerated() {
                let ur = u[r]
                for j in 0..<count {
                    let value = ht[j * n + a]
                    if value == 0 { continue }
                    he[j] += value * ur
                    for d in 0..<k { c[j * k + d] += value * b[r * k + d] }
                }
            }
            if constant {
                for j in 0..<count { hh[j] += ht[j * n] * ht[j * n] * precisionTotal[t] }
                continue
            }
            // P = HᵀQ (count × n): 0 − Hᵀ·Qᵀ, Q symmetric.
            var p = [Double](repeating: 0, count: count * n)
            ht.withUnsafeBufferPointer { hb in
                precision[t].withUnsafeBufferPointer { qb in
                    p.withUnsafeMutableBufferPointer { algebra.subtractProduct(count, n, n, hb.baseAddress!, n, qb.baseAddress!, n, $0.baseAddress!, n) }
                }
            }
            for j in 0..<count {
                var s = 0.0
                for a in 0..<n { s -= p[j * n + a] * ht[j * n + a] }
                hh[j] += s
            }
        }
        var f = [Double](repeating: 0, count: count), step = f
        for j in 0..<count {
            let result = ratio(he: he[j], c: Array(c[(j * k)..<((j + 1) * k)]), hh: hh[j])
            f[j] = result.f
            step[j] = result.step
        }
        return (f, step)
    }

    /// The F ratio and step of every half-plane column {i : s_i > offsets[o]} (s one distance per
    /// model position along a line normal, `offsets` ascending), in one pass over the positions
    /// sorted by s: hᵀV⁻¹e and XᵀV⁻¹h are running sums of u and B, hᵀV⁻¹h grows by
    /// 2·(Q h)ᵢ + Qᵢᵢ as position i joins, (Q h) kept per tile — O(N · tile) for all offsets.
    public func halfPlaneRatios(s: [Double], offsets: [Double]) -> (f: [Double], step: [Double]) {
        let m = kept.count, k = columns
        let order = (0..<m).sorted { s[kept[$0]] > s[kept[$1]] }
        var accumulated = tiles.map { [Double](repeating: 0, count: $0.count) }
        var he = 0.0, hh = 0.0
        var c = [Double](repeating: 0, count: k)
        var f = [Double](repeating: 0, count: offsets.count), step = f
        var next = 0, added = 0
        for o in stride(from: offsets.count - 1, through: 0, by: -1) {
            while next < m && s[kept[order[next]]] > offsets[o] {
                let r = order[next], t = tileOf[r], i = indexInTile[r], n = tiles[t].count
                precision[t].withUnsafeBufferPointer { q in
                    accumulated[t].withUnsafeMutableBufferPointer { acc in
                        hh += 2 * acc[i] + q[i * n + i]
                        let row = q.baseAddress! + i * n
                        for j in 0..<n { acc[j] += row[j] }
                    }
                }
                he += u[r]
                for d in 0..<k { c[d] += b[r * k + d] }
                next += 1
                added += 1
            }
            guard added > 0 && added < m else { continue }
            let result = ratio(he: he, c: c, hh: hh)
            f[o] = result.f
            step[o] = result.step
        }
        return (f, step)
    }
}
