#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Model selection between "two spheres" and "one sphere" where a sphere lies on a neighbour
/// in every view (`STEM4DParticleModelFit.mergeTest`).
///
/// The significance test asks whether sphere k lowers χ² with its neighbours *held where the
/// joint fit left them*. At the rim of a strong sphere whose profile the model does not follow
/// exactly, that is the wrong question: the neighbour was fitted as a compromise with k
/// present, and a small k soaks up the neighbour's misfit. The question here is whether the
/// neighbours, refitted without k, explain every view as well: the weighted χ² over the
/// pixels of k and its neighbours in all views, with and without k (the neighbours refitted),
/// compared by the Bayesian information criterion — k's five parameters (x, y, z, r,
/// amplitude) must lower χ² by more than 5 ln n over those n pixels. The weights (pixel noise
/// plus the measured mismatch) are those of the two-sphere model for both sides, so the
/// comparison is a weighted least-squares one. A real sphere touching or overlapping its
/// neighbour in projection costs its whole signal when dropped; a rim artefact costs little
/// once the neighbour may move back to its own best fit.
extension STEM4DParticleModelState {
    /// Spheres whose projection overlaps sphere `k`'s in every view (centre distance under the
    /// sum of the radii): the only ones that could explain it on their own.
    func overlappingInEveryView(_ k: Int) -> [Int] {
        let s = spheres[k]
        return spheres.indices.filter { j in
            guard j != k, spheres[j].c > 0 else { return false }
            let q = spheres[j]
            return t.indices.allSatisfy { v in
                let dx = (s.x - s.z * t[v].0) - (q.x - q.z * t[v].0), dy = (s.y - s.z * t[v].1) - (q.y - q.z * t[v].1)
                return dx * dx + dy * dy < (s.r + q.r) * (s.r + q.r)
            }
        }
    }

    /// Tests sphere `k` against its neighbours alone; removes it (and keeps the neighbours'
    /// refits) when they explain the views within the information criterion, else restores
    /// everything. Returns whether `k` was removed.
    func mergeIfRedundant(_ k: Int) -> Bool {
        let neighbours = overlappingInEveryView(k)
        guard !neighbours.isEmpty else { return false }
        // The pixels of k and its neighbours in every view, with the two-sphere weights.
        let pixels = weightedPixels(of: ([k] + neighbours).map { spheres[$0] })
        guard !pixels.isEmpty else { return false }
        func chi2() -> Double { weightedChi2(pixels) }
        let both = chi2() + amplitudePenalty(([k] + neighbours).map { spheres[$0] })
        let saved = neighbours.map { spheres[$0] }
        let removed = spheres[k]
        render(removed, sign: -1)
        spheres[k].c = 0
        for j in neighbours { refine(j) }
        let one = chi2() + amplitudePenalty(neighbours.map { spheres[$0] })
        if one - both < 5 * log(Double(pixels.count)) {
            spheres.remove(at: k)
            return true
        }
        for (j, s) in zip(neighbours, saved) {
            render(spheres[j], sign: -1)
            spheres[j] = s
            render(s, sign: 1)
        }
        spheres[k] = removed
        render(removed, sign: 1)
        return false
    }

    /// Runs the test on every sphere that lies on a neighbour in every view, the least
    /// significant first (a rim artefact is weaker than the sphere it hangs on); returns how
    /// many were removed.
    @discardableResult func mergeRedundant() -> Int {
        var pending = spheres.indices.map { ($0, significance($0)) }.sorted { $0.1 < $1.1 }.map(\.0)
        var removed = 0
        while !pending.isEmpty {
            let k = pending.removeFirst()
            guard mergeIfRedundant(k) else { continue }
            removed += 1
            // Indices after k move down by one.
            pending = pending.map { $0 > k ? $0 - 1 : $0 }
        }
        return removed
    }
}

/// The local noise scale (`STEM4DParticleModelFit.localNoise`).
///
/// The significance of a sphere is its χ² gain in units of a variance that is measured once
/// for the whole image: pixel noise plus mismatch terms regressed over every sphere. Where
/// the model fits worse than that on average — a cluster of strong overlapping spheres, whose
/// saturation and smear the sum of chords follows least — the same gain means less. The
/// standard remedy of least squares with an uncertain variance scale: divide the gain by the
/// reduced χ² of the model around the sphere (its pixels in every view, all spheres in, the
/// degrees of freedom less five per sphere reaching them), when that exceeds one. An isolated
/// sphere the model fits keeps its significance; one that only explains part of a local misfit
/// loses what the misfit left around it says.
extension STEM4DParticleModelState {
    /// Reduced χ² of the whole model over sphere `k`'s pixels in every view (pad 1 px), at
    /// least 1.
    func localChi2(_ k: Int) -> Double {
        let s = spheres[k]
        var chi2 = 0.0, n = 0
        var boxes: [(Int, Int, Int, Int)?] = []
        for v in images.indices {
            let b = box(s, v, pad: 1)
            boxes.append(b)
            guard let b else { continue }
            for y in b.2...b.3 {
                for x in b.0...b.1 {
                    let i = y * w + x
                    let r = residual(v, i)
                    chi2 += r * r / variance(v, i)
                    n += 1
                }
            }
        }
        // Spheres reaching these pixels in some view: five parameters each.
        let m = spheres.indices.filter { j in
            images.indices.contains { v in
                guard let a = boxes[v], let b = box(spheres[j], v, pad: 0) else { return false }
                return b.0 <= a.1 && a.0 <= b.1 && b.2 <= a.3 && a.2 <= b.3
            }
        }.count
        let dof = n - 5 * m
        guard dof > 0 else { return 1 }
        return max(1, chi2 / Double(dof))
    }

    /// Sphere `k`'s significance, scaled by the local noise when the fit asks for it.
    func selectionSignificance(_ k: Int) -> Double {
        let g = significance(k)
        return fit.localNoise ? g / localChi2(k).squareRoot() : g
    }
}

/// Hard spheres within their measured uncertainty (`STEM4DParticleModelFit.hardSpheres`).
///
/// Particles do not interpenetrate. A pair the fit leaves interpenetrating is either two real
/// touching spheres placed slightly wrong — at a small stereo angle the depth is uncertain by
/// pixels — or one particle the model explains as two (a shape or profile it lacks, a rim
/// artefact). The overlap r_a + r_b − |c_a − c_b| has a standard error from the two spheres'
/// covariances (`STEM4DParticleModelUncertainty`); an overlap of more than three of them is
/// not two hard spheres, and the less significant one goes. A fixed overlap rule (tried on
/// 4 December) cannot tell the two cases apart at small stereo angles; this one scales with
/// what the views pin down.
extension STEM4DParticleModelState {
    /// The overlap of spheres `a` and `b` (px, > 0: interpenetrating) in units of its standard
    /// error; 0 when they do not overlap; ∞ when a covariance is missing.
    /// With `centreOnly`, the depth of the smaller sphere's centre inside the larger one,
    /// r_large − |c_a − c_b|, instead: true touching spheres whose radii the fit biases up by a
    /// fraction of a pixel (a bias no covariance holds) stay far from it, while a sphere hung
    /// on another's rim sits inside it.
    func interpenetration(_ a: Int, _ b: Int, centreOnly: Bool = false, covariances: inout [Int: [[Double]]?]) -> Double {
        let p = spheres[a], q = spheres[b]
        let d = [p.x - q.x, p.y - q.y, p.z - q.z]
        let dist = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).squareRoot()
        let large = p.r >= q.r ? a : b
        let overlap = centreOnly ? spheres[large].r - dist : p.r + q.r - dist
        guard overlap > 0 else { return 0 }
        let u = dist > 1e-9 ? d.map { $0 / dist } : [0, 0, 1]
        var variance = 0.0
        for (k, sign) in [(a, -1.0), (b, 1.0)] {
            if covariances[k] == nil { covariances[k] = .some(covariance(k)) }
            guard let c = covariances[k] ?? nil else { return .infinity }
            // ∂overlap/∂(x, y, z, r, c) of this sphere.
            let g = [sign * u[0], sign * u[1], sign * u[2], centreOnly && k != large ? 0 : 1, 0]
            for i in 0..<5 { for j in 0..<5 { variance += g[i] * c[i][j] * g[j] } }
        }
        guard variance > 0 else { return .infinity }
        return overlap / variance.squareRoot()
    }

    /// Resolves a pair that cannot be two hard spheres by the data: for each of the two, the
    /// model without it and the other refitted alone, weighted χ² over both spheres' pixels in
    /// every view (the two-sphere weights); the better one-sphere model is kept, the other
    /// sphere removed. Which of the two is an artefact is not told by significance — a large
    /// faint sphere spread over a cluster can out-gain the small real one it swallows.
    /// (Refitting every sphere the removed one lay on, not only its partner, was measured
    /// worse: the large sphere then wins more often.)
    func resolveInterpenetrating(_ a: Int, _ b: Int) {
        let pixels = weightedPixels(of: [spheres[a], spheres[b]])
        func chi2() -> Double { weightedChi2(pixels) }
        let original = (spheres[a], spheres[b])
        // Without `gone`, `kept` refitted: χ² and the refitted sphere; the state is restored.
        func trial(gone: Int, kept: Int) -> (Double, STEM4DParticleModelState.Sphere) {
            render(spheres[gone], sign: -1)
            let saved = spheres[gone]
            spheres[gone].c = 0
            refine(kept)
            let c = chi2(), refit = spheres[kept]
            render(spheres[kept], sign: -1)
            spheres[kept] = kept == a ? original.0 : original.1
            render(spheres[kept], sign: 1)
            spheres[gone] = saved
            render(saved, sign: 1)
            return (c, refit)
        }
        let withoutA = trial(gone: a, kept: b), withoutB = trial(gone: b, kept: a)
        let (gone, kept, refit) = withoutA.0 < withoutB.0 ? (a, b, withoutA.1) : (b, a, withoutB.1)
        render(spheres[kept], sign: -1)
        spheres[kept] = refit
        render(refit, sign: 1)
        render(spheres[gone], sign: -1)
        spheres.remove(at: gone)
    }

    /// The pair interpenetrating most, in standard errors, if that is more than three; nil
    /// otherwise.
    func significantlyInterpenetratingPair(centreOnly: Bool = false) -> (Int, Int)? {
        var covariances: [Int: [[Double]]?] = [:]
        var worst: ((Int, Int), Double)? = nil
        for a in spheres.indices {
            for b in spheres.indices where b > a {
                let p = spheres[a], q = spheres[b]
                let dx = p.x - q.x, dy = p.y - q.y, dz = p.z - q.z
                guard dx * dx + dy * dy + dz * dz < (p.r + q.r) * (p.r + q.r) else { continue }
                let e = interpenetration(a, b, centreOnly: centreOnly, covariances: &covariances)
                if e > 3 && e > (worst?.1 ?? 0) { worst = ((a, b), e) }
            }
        }
        return worst?.0
    }

    /// The less significant sphere of the pair interpenetrating most, in standard errors, if
    /// that is more than three; nil otherwise.
    func significantlyInterpenetrating(centreOnly: Bool = false) -> Int? {
        guard let (a, b) = significantlyInterpenetratingPair(centreOnly: centreOnly) else { return nil }
        return significance(a) < significance(b) ? a : b
    }
}

/// Spheres whose depth the views do not determine as they determine their peers'
/// (`STEM4DParticleModelFit.depthOutlierFactor`).
///
/// Every sphere of one fit is seen through the same views, noise and stereo angle, so the
/// standard errors of real spheres' depths share one scale (within the spread their radii and
/// contrasts give). What the fit adds that is not a sphere — a large faint sphere spread over
/// a cluster of small ones, a small one hung on a strong neighbour's rim — explains pixels
/// that do not move between the views as a sphere's would, and its depth is pinned several
/// times worse than its peers' (about 2.2× in the same draw, over three seed ranges on
/// 4 December). A sphere whose depth is not determined is not a 3D claim. The scale is the
/// median over the fit's spheres, measured on the data; the factor is the rule's one constant.
extension STEM4DParticleModelState {
    /// Whether each standard error is at most `factor` × the median of the finite ones (of
    /// `reference`, when given); non-finite ones (the views do not constrain the depth) are never kept.
    static func depthDetermined(_ sigmas: [Double], factor: Double, reference: [Double]? = nil) -> [Bool] {
        let finite = (reference ?? sigmas).filter(\.isFinite).sorted()
        guard !finite.isEmpty else { return sigmas.map { _ in false } }
        let n = finite.count
        let median = n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2
        return sigmas.map { $0.isFinite && $0 <= factor * median }
    }
}

extension STEM4DParticleModelState {
    /// The pixels the spheres cover (their boxes, 2 px of pad) in every view, each once, with
    /// the current model's weights (1 / variance): the region the model comparisons of the
    /// merge test, the hard-sphere rule and the depth choice are scored on.
    func weightedPixels(of covered: [Sphere]) -> [(v: Int, i: Int, iv: Double)] {
        var pixels: [(v: Int, i: Int, iv: Double)] = []
        var seen = Set<Int>()
        for v in images.indices {
            for s in covered {
                guard let b = box(s, v, pad: 2) else { continue }
                for y in b.2...b.3 {
                    for x in b.0...b.1 {
                        let i = y * w + x
                        if seen.insert(v * w * h + i).inserted { pixels.append((v, i, 1 / variance(v, i))) }
                    }
                }
            }
        }
        return pixels
    }

    /// Weighted χ² of the current model over `pixels` (weights held, as `weightedPixels` gave them);
    /// a pixel at the floor pays only for the model above it (`residual`).
    func weightedChi2(_ pixels: [(v: Int, i: Int, iv: Double)]) -> Double {
        var c = 0.0
        for p in pixels {
            let r = residual(p.v, p.i)
            c += r * r * p.iv
        }
        return c
    }
}
