import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A crowded sphere's depth profile with its neighbours refitted
/// (`STEM4DParticleModelFit.jointDepth`).
///
/// The depth standard error the depth-outlier rule judges (`depthSigma`) is the curvature of χ²
/// at the depth the greedy fit left, with every other sphere held where it was fitted around it.
/// In a crowd that is the wrong question twice over: the neighbours were fitted as a compromise
/// with the sphere where it stands, and a sphere that the fit left between two minima sits on a
/// flat shoulder whose curvature says little about where the views put it. The profile here
/// asks the question properly: for every trial depth on a grid over the whole range (half a
/// pixel of view shift a step), the sphere is refitted in (x, y, r, amplitude) at that depth and
/// its neighbours — every sphere overlapping it in some view at the trial depth or where it was
/// — are refitted in all of theirs, and the weighted χ² over all their pixels in every view is
/// read (weights held: those of the model before). The profile's minimum is the sphere's depth
/// with the crowd free; the model there is kept when its χ² is lower than the one the fit left
/// (same parameters on both sides: the likelihood decides), and the sphere's standard error
/// measured again there.
extension STEM4DParticleModelState {
    /// Refits sphere `k`'s (x, y, r, amplitude) with its depth held at `z`, the others held.
    func refine(_ k: Int, atDepth z: Double) {
        var s = spheres[k]
        render(s, sign: -1)
        s.z = z
        let patch = self.patch(around: s, reach: 2.5)
        let rLo = fit.radiusMin, rHi = fit.radiusMax
        func cost(_ u: [Double]) -> Double {
            guard u[2] >= rLo, u[2] <= rHi else { return .infinity }
            return -score(patch, u[0], u[1], z, u[2]).gain
        }
        let best = Self.nelderMead(cost, start: [s.x, s.y, s.r], steps: [0.5, 0.5, 0.4], iterations: 120)
        let sc = score(patch, best[0], best[1], z, best[2])
        if sc.gain > 0 && sc.c > 0 {
            s = Sphere(x: best[0], y: best[1], z: z, r: best[2], c: sc.c)
        } else {
            s.c = max(0, score(patch, s.x, s.y, z, s.r).c)
        }
        spheres[k] = s
        render(s, sign: 1)
    }

    /// Spheres other than `k` overlapping `s` (a placement of `k`) in some view (centre
    /// distance under the radii's sum plus a pixel).
    func neighbours(of k: Int, at placements: [Sphere]) -> [Int] {
        spheres.indices.filter { j in
            guard j != k, spheres[j].c > 0 else { return false }
            let q = spheres[j]
            return t.indices.contains { v in
                placements.contains { s in
                    let dx = (s.x - s.z * t[v].0) - (q.x - q.z * t[v].0), dy = (s.y - s.z * t[v].1) - (q.y - q.z * t[v].1)
                    return dx * dx + dy * dy < (s.r + q.r + 1) * (s.r + q.r + 1)
                }
            }
        }
    }

    /// One point of the joint profile: sphere `k` at depth `z`, refitted there with the
    /// neighbours refitted; the state after it (the caller restores or keeps it).
    func placeJointly(_ k: Int, atDepth z: Double, neighbours: [Int]) {
        refine(k, atDepth: z)
        for j in neighbours { refine(j, scanDepth: false) }
        refine(k, atDepth: z)
    }

    /// Sphere `k`'s joint depth profile: (depth, weighted χ²) on the coarse grid, the neighbours
    /// refitted at every depth, the state restored after each. `pixels`: the region and weights
    /// the profile is read on (every placement of `k` and the neighbours, in every view).
    func jointDepthProfile(_ k: Int) -> (profile: [(z: Double, chi2: Double)], here: Double, pixels: [(v: Int, i: Int, iv: Double)], neighbours: [Int]) {
        let s = spheres[k]
        let zs = Array(stride(from: fit.zMin, through: fit.zMax + 1e-9, by: 0.5 / tMax))
        let placements = zs.map { Sphere(x: s.x, y: s.y, z: $0, r: s.r, c: 0) } + [s]
        let near = neighbours(of: k, at: placements)
        let pixels = weightedPixels(of: placements + near.map { spheres[$0] })
        let here = weightedChi2(pixels)
        let group = [k] + near
        var profile: [(z: Double, chi2: Double)] = []
        for z in zs {
            let saved = group.map { spheres[$0] }
            placeJointly(k, atDepth: z, neighbours: near)
            profile.append((z, spheres[k].c > 0 ? weightedChi2(pixels) : .infinity))
            restore(group, saved)
        }
        return (profile, here, pixels, near)
    }

    /// Puts spheres `group` back as `saved`.
    func restore(_ group: [Int], _ saved: [Sphere]) {
        for (j, old) in zip(group, saved) {
            render(spheres[j], sign: -1)
            spheres[j] = old
            render(old, sign: 1)
        }
    }
}

extension STEM4DParticleModelState {
    /// Each sphere of `judged` in turn: its joint depth profile (`jointDepthProfile`), and the
    /// sphere with its neighbours placed at the profile's minimum when that lowers the weighted
    /// χ² over their pixels and leaves every one of them an amplitude (same parameters on both
    /// sides: the likelihood decides); else the state is left as it was. The spheres keep their
    /// indices. Returns how many moved.
    @discardableResult func placeAtJointDepths(_ judged: [Int]) -> Int {
        var moved = 0
        for k in judged where spheres[k].c > 0 {
            let before = spheres[k], sigmaBefore = depthSigma(k)
            let (profile, here, pixels, near) = jointDepthProfile(k)
            guard let best = profile.min(by: { $0.chi2 < $1.chi2 }), best.chi2.isFinite else { continue }
            let group = [k] + near
            let saved = group.map { spheres[$0] }
            placeJointly(k, atDepth: best.z, neighbours: near)
            // The minimum refined locally in depth too, the neighbours held.
            refine(k, scanDepth: false)
            let chi2 = weightedChi2(pixels)
            let accepted = chi2 < here && group.allSatisfy { spheres[$0].c > 0 }
            if !accepted { restore(group, saved) } else { moved += 1 }
            STEM4DParticleJointDepthDump.write(before: before, after: spheres[k], sigmas: (sigmaBefore, depthSigma(k)), here: here,
                                               profile: profile, accepted: accepted)
        }
        return moved
    }
}

/// For study outside the job: with `SLIPLINE_STEM4D_DUMP_JOINT=FILE` set, each joint depth
/// profile is appended to FILE as one line of JSON (the sphere before and after, χ² where the
/// fit left it, the depth standard errors before and after, the profile, whether the move was kept).
enum STEM4DParticleJointDepthDump {
    static func write(before: STEM4DParticleModelState.Sphere, after: STEM4DParticleModelState.Sphere, sigmas: (Double, Double), here: Double,
                      profile: [(z: Double, chi2: Double)], accepted: Bool) {
        guard let path = getenv("SLIPLINE_STEM4D_DUMP_JOINT").map({ String(cString: $0) }) else { return }
        func sphere(_ s: STEM4DParticleModelState.Sphere) -> String { String(format: "[%.3f,%.3f,%.3f,%.3f,%.5f]", s.x, s.y, s.z, s.r, s.c) }
        let points = profile.map { String(format: "[%.2f,%.3f]", $0.z, $0.chi2.isFinite ? $0.chi2 - here : 1e9) }.joined(separator: ",")
        let line = "{\"before\":\(sphere(before)),\"after\":\(sphere(after)),\"sigma\":[\(String(format: "%.3f,%.3f", sigmas.0.isFinite ? sigmas.0 : 1e9, sigmas.1.isFinite ? sigmas.1 : 1e9))],\"chi2\":\(String(format: "%.3f", here)),\"accepted\":\(accepted),\"profile\":[\(points)]}\n"
        guard let f = fopen(path, "a") else { return }
        fputs(line, f)
        fclose(f)
    }
}
