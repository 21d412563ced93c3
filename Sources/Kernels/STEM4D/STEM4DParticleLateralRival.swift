#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The lateral split judged against the strongest one-sphere alternative
/// (`STEM4DParticleModelFit.splitLateralRival`), and each new sphere on its own evidence
/// (`STEM4DParticleModelFit.splitLateralEvidence`).
///
/// The plain split (`splitLaterally`) compares the pair, refitted, with the old sphere held
/// where the fit left it, the neighbours held on both sides. A pair that only absorbs what the
/// old sphere and its neighbours left as a compromise then wins without being two spheres:
/// the neighbours could have moved instead. With the rival, both arms are refitted alike over
/// the same neighbourhood — every sphere whose projection comes within 2 px of the old sphere's
/// or the pair's in some view is refitted (without the depth scan) in both — and the one-sphere
/// arm is the best of the old state held and one sphere refitted in all five parameters
/// (with the depth scan, as each of the pair is) from each of three starts: the old sphere
/// and each sphere of the pair (so that "one of the two, moved, with the neighbours" is among
/// the alternatives). The pair is kept only when its criterion — weighted χ² + amplitude prior +
/// 5 ln n a sphere, over the pixels of every sphere involved in any arm, each side with the old
/// model's weights, as `refitStack` scores — is lower than every one-sphere arm's.
///
/// At a small stereo angle the views barely differ, so two spheres near each other in
/// projection have nearly the same template in every view and the data barely tell their
/// amplitudes apart: the χ² of the pair may drop by more than 5 ln n while neither sphere is
/// determined. With the evidence test each sphere of the pair must stand on its own: its
/// amplitude over its standard error, marginal over all ten of the pair's parameters (the
/// inverse of the pair's joint Fisher information, neighbours held,
/// `pairAmplitudeSignificance`), at least the fit's significance — the threshold every sphere
/// the residual search adds already meets, there with its own position held. No radius, depth
/// or stereo-angle constant is chosen.
extension STEM4DParticleModelState {
    /// Spheres (indices, excluding `k` and spheres of zero amplitude) whose projection comes within
    /// 2 px of any of `set`'s in some view: the ones both arms refit.
    func lateralNeighbours(of set: [Sphere], excluding k: Int) -> [Int] {
        spheres.indices.filter { j in
            guard j != k, spheres[j].c > 0 else { return false }
            let q = spheres[j]
            return set.contains { s in
                t.indices.contains { v in
                    let dx = (s.x - s.z * t[v].0) - (q.x - q.z * t[v].0), dy = (s.y - s.z * t[v].1) - (q.y - q.z * t[v].1)
                    return dx * dx + dy * dy < (s.r + q.r + 2) * (s.r + q.r + 2)
                }
            }
        }
    }

    /// Each sphere of `set`'s amplitude over its standard error, marginal over all 5·|set|
    /// parameters (x, y, z, r, c each) — the inverse of their joint Fisher information, the
    /// other spheres held, each pixel weighted by its inverse variance as the fit measured it
    /// (`STEM4DParticleModelUncertainty` for one sphere). 0 for every sphere when the
    /// information is singular (the set's templates are not told apart).
    func pairAmplitudeSignificance(_ set: [Sphere]) -> [Double] {
        let m = 5 * set.count
        guard set.allSatisfy({ $0.c > 0 }) else { return set.map { _ in 0 } }
        let h = 0.05, hz = 0.05 / tMax
        var fisher = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        for v in images.indices {
            let level = plane[v].0
            let boxes = set.map { box($0, v, pad: 1 + h) }
            var pixels = Set<Int>()
            for b in boxes { if let b { for py in b.2...b.3 { for px in b.0...b.1 { pixels.insert(py * w + px) } } } }
            for i in pixels.sorted() {
                if isCensored(v, i) && residual(v, i) == 0 { continue }
                let px = i % w, py = i / w
                let iv = 1 / variance(v, i)
                var g = [Double](repeating: 0, count: m)
                for (a, s) in set.enumerated() {
                    guard let b = boxes[a], px >= b.0, px <= b.1, py >= b.2, py <= b.3 else { continue }
                    func value(_ x: Double, _ y: Double, _ z: Double, _ r: Double) -> Double {
                        level * s.c * chord(v, px, py, x - z * t[v].0, y - z * t[v].1, r, z, levelZ: s.z)
                    }
                    g[5 * a] = (value(s.x + h, s.y, s.z, s.r) - value(s.x - h, s.y, s.z, s.r)) / (2 * h)
                    g[5 * a + 1] = (value(s.x, s.y + h, s.z, s.r) - value(s.x, s.y - h, s.z, s.r)) / (2 * h)
                    g[5 * a + 2] = (value(s.x, s.y, s.z + hz, s.r) - value(s.x, s.y, s.z - hz, s.r)) / (2 * hz)
                    g[5 * a + 3] = (value(s.x, s.y, s.z, s.r + h) - value(s.x, s.y, s.z, s.r - h)) / (2 * h)
                    g[5 * a + 4] = value(s.x, s.y, s.z, s.r) / s.c
                }
                for a in 0..<m where g[a] != 0 { for b2 in a..<m where g[b2] != 0 { fisher[a][b2] += iv * g[a] * g[b2] } }
            }
        }
        for a in 0..<m { for b2 in 0..<a { fisher[a][b2] = fisher[b2][a] } }
        guard let cov = Self.invert(fisher) else { return set.map { _ in 0 } }
        return set.indices.map { a in
            let variance = cov[5 * a + 4][5 * a + 4]
            return variance > 0 && variance.isFinite ? set[a].c / variance.squareRoot() : 0
        }
    }

    /// `splitLaterally(k)` with the rival and/or the evidence test: tries sphere `k` as two side
    /// by side; keeps the pair (appended at the end, `k` removed, the neighbours as refitted with
    /// the pair) when its criterion beats the strongest one-sphere alternative (with the rival;
    /// else the old sphere held, as the plain split), each of the two stands at the fit's
    /// significance on its own (with the evidence test), and the plain split's guards hold
    /// (no duplicate, each seen in every view). Else restores everything; returns nil.
    func splitLaterallyJudged(_ k: Int) -> [Sphere]? {
        let saved = spheres[k]
        guard saved.c > 0 else { return nil }
        let rival = fit.splitLateralRival, evidence = fit.splitLateralEvidence
        let held = (spheres: spheres, model: model)
        func reset() { spheres = held.spheres; model = held.model }
        render(saved, sign: -1)
        spheres[k].c = 0
        guard let (a, b) = lateralPairStart(saved) else { reset(); return nil }
        let base = spheres.count
        add(a); add(b)
        for j in base..<spheres.count { refine(j) }
        for j in base..<spheres.count { refine(j) }
        for j in base..<spheres.count { refine(j, scanDepth: false) }
        // The old spheres near the old one or the pair (not the pair itself).
        let neighbours = rival ? lateralNeighbours(of: [saved] + Array(spheres[base...]), excluding: k).filter { $0 < base } : []
        if rival {
            for j in neighbours { refine(j, scanDepth: false) }
            for j in base..<spheres.count { refine(j, scanDepth: false) }
        }
        let two = (spheres: spheres, model: model)
        let pair = Array(spheres[base...])
        // The one-sphere arms: one sphere from each start, refitted as each of the pair was,
        // the neighbours refitted as with the pair.
        var ones: [(spheres: [Sphere], model: [[Double]])] = []
        if rival {
            for start in [saved] + pair {
                reset()
                render(saved, sign: -1)
                spheres[k] = Sphere(x: start.x, y: start.y, z: start.z, r: start.r, c: saved.c)
                render(spheres[k], sign: 1)
                refine(k); refine(k); refine(k, scanDepth: false)
                for j in neighbours { refine(j, scanDepth: false) }
                refine(k, scanDepth: false)
                ones.append((spheres, model))
            }
        }
        // Scored on the pixels of every sphere involved in any arm, each side with the old model's weights.
        reset()
        var involved = [saved] + pair + neighbours.map { held.spheres[$0] } + neighbours.map { two.spheres[$0] }
        for one in ones { involved += [one.spheres[k]] + neighbours.map { one.spheres[$0] } }
        let pixels = weightedPixels(of: involved)
        let penalty = 5 * log(Double(max(1, pixels.count)))
        func criterion(_ arm: (spheres: [Sphere], model: [[Double]]), _ own: [Sphere], count: Int) -> Double {
            let current = model
            model = arm.model
            defer { model = current }
            return weightedChi2(pixels) + amplitudePenalty(own + neighbours.map { arm.spheres[$0] }) + Double(count) * penalty
        }
        let heldCriterion = criterion(held, [saved], count: 1)
        let oneCriteria = ones.map { criterion($0, [$0.spheres[k]], count: 1) }
        let before = oneCriteria.reduce(heldCriterion, min)
        let after = criterion(two, pair, count: 2)
        spheres = two.spheres; model = two.model
        let others = spheres[..<base].enumerated().filter { $0.offset != k && $0.element.c > 0 }.map(\.element)
        let duplicate = Self.duplicates(pair[0], pair[1]) || pair.contains { p in others.contains { Self.duplicates(p, $0) } }
        var accept = !duplicate && pair.allSatisfy({ $0.c > 0 }) && after < before - 1e-9 * abs(before)
        var z: [Double] = []
        if accept && evidence {
            z = pairAmplitudeSignificance(pair)
            accept = z.allSatisfy { $0 >= fit.significance }
        }
        accept = accept && pair.allSatisfy({ consistent($0) })
        if ProcessInfo.processInfo.environment["SLIPLINE_LATERAL_DEBUG"] != nil {
            let f = { (s: Sphere) in String(format: "(%.1f,%.1f,%.1f r%.2f c%.3f)", s.x, s.y, s.z, s.r, s.c) }
            var line = "lateral k \(k) \(f(saved)) -> \(f(pair[0])) \(f(pair[1])) held \(String(format: "%.1f", heldCriterion - after))"
            for (one, c) in zip(ones, oneCriteria) { line += String(format: " one %.1f", c - after) + f(one.spheres[k]) }
            line += " dup \(duplicate) z \(z.map { String(format: "%.1f", $0) }) accept \(accept)\n"
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
        if accept {
            spheres.remove(at: k)
            return pair
        }
        reset()
        return nil
    }
}
