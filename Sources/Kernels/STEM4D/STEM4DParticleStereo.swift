#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One view of a multi-view particle reconstruction: the blobs found in it and the view's
/// projection direction. A point (X, Y, z) appears at (X, Y) − z·t in the view, with
/// t = (sin θx, sin θy) for the beam tilt θ of the view's detector (so that a symmetric
/// pair gives z = d / (2 sin(φ/2))).
public struct STEM4DParticleView: Sendable, Hashable {
    /// Blobs detected in the view.
    public var blobs: [STEM4DBlob]
    /// Projection direction t = (sin θx, sin θy).
    public var tx: Double
    public var ty: Double
    /// The view itself, smoothed by `STEM4DParticleAlignment.smoothingSigma`: when every view of
    /// a particle has one, its shifts between views are refined by image alignment.
    public var image: STEM4DImage?

    /// A view with its blobs and projection direction (and its smoothed image, if any).
    public init(blobs: [STEM4DBlob], tx: Double, ty: Double, image: STEM4DImage? = nil) {
        self.blobs = blobs; self.tx = tx; self.ty = ty; self.image = image
    }

    /// The two views of a stereo pair (`minus`, `plus`), with tilts ∓φ/2 along the baseline;
    /// with `images` (minus, plus), the views keep them smoothed for alignment.
    public static func pair(minus: [STEM4DBlob], plus: [STEM4DBlob], stereo: STEM4DStereoPair,
                            images: (STEM4DImage, STEM4DImage)? = nil) -> [STEM4DParticleView] {
        let a = stereo.azimuthDeg * .pi / 180, h = sin(stereo.stereoAngleRad / 2)
        let sigma = STEM4DParticleAlignment.smoothingSigma
        return [STEM4DParticleView(blobs: minus, tx: -h * cos(a), ty: -h * sin(a), image: images?.0.gaussianBlurred(sigma: sigma)),
                STEM4DParticleView(blobs: plus, tx: h * cos(a), ty: h * sin(a), image: images?.1.gaussianBlurred(sigma: sigma))]
    }
}

/// A reconstructed particle: position and radius in scan px, z positive downstream.
public struct STEM4DParticle3D: Sendable, Hashable, Codable {
    /// Position (scan px; z from the focal plane, positive downstream).
    public var x: Double
    public var y: Double
    public var z: Double
    /// Mean radius over the views, px.
    public var radius: Double
    /// Number of views it was triangulated from.
    public var views: Int
    /// RMS re-projection error, px.
    public var residual: Double
    /// Standard error of `z`, px, where the method measures it (the joint model fit: from the
    /// curvature of its χ² at the fitted sphere); nil otherwise.
    public var depthSigma: Double? = nil
    /// Significance of the sphere in the joint fit's final model (its χ² gain with the others
    /// held, in standard deviations); nil without the fit.
    public var significance: Double? = nil

    /// A particle at (`x`, `y`, `z`) of `radius`, seen in `views` views with RMS `residual`.
    public init(x: Double, y: Double, z: Double, radius: Double, views: Int = 2, residual: Double = 0) {
        self.x = x; self.y = y; self.z = z; self.radius = radius; self.views = views; self.residual = residual
    }
}

/// Multi-view particle triangulation: correspondences along epipolar lines by minimum-cost
/// assignment (Hungarian), then least squares over every view a particle was found in.
public struct STEM4DParticleStereo: Sendable, Hashable {
    /// Largest distance of a partner from the epipolar line, px.
    public var epipolarTolerance: Double
    /// Largest radius difference between partners, px.
    public var radiusTolerance: Double
    /// Depth range searched (scan px), e.g. the slab with a margin.
    public var zMin: Double
    public var zMax: Double
    /// Largest accepted RMS re-projection error, px.
    public var maxResidual: Double

    /// Tolerances and depth range of the search.
    public init(epipolarTolerance: Double = 1.5, radiusTolerance: Double = 2, zMin: Double = -100, zMax: Double = 100,
                maxResidual: Double = 1.5) {
        self.epipolarTolerance = epipolarTolerance; self.radiusTolerance = radiusTolerance
        self.zMin = zMin; self.zMax = zMax; self.maxResidual = maxResidual
    }

    /// Reconstructs particles seen in at least two views.
    ///
    /// View 0 is the reference: each of its blobs gets at most one partner per other view
    /// (minimum-cost assignment along the epipolar line). With three or more views, the
    /// blobs no accepted particle used are then taken as references in turn (view 1, 2, …)
    /// against the unused blobs of the other views, so a particle missed in view 0 (noise,
    /// overlap) is still found from the others. With two views this adds nothing (the
    /// assignment is symmetric) and the result is the plain pair reconstruction.
    public func reconstruct(_ views: [STEM4DParticleView]) -> [STEM4DParticle3D] {
        guard views.count >= 2 else { return [] }
        var used = views.map { [Bool](repeating: false, count: $0.blobs.count) }
        var out: [STEM4DParticle3D] = []
        for r in 0..<(views.count > 2 ? views.count - 1 : 1) {
            out += reconstruct(views, reference: r, used: &used)
        }
        return out
    }

    /// Particles whose reference blob is an unused blob of view `r`, partners among the unused
    /// blobs of every other view; marks the blobs of accepted particles used.
    func reconstruct(_ views: [STEM4DParticleView], reference r: Int, used: inout [[Bool]]) -> [STEM4DParticle3D] {
        let ref = views[r]
        let refIndex = ref.blobs.indices.filter { !used[r][$0] }
        let n = refIndex.count
        var partners = [[(Int, Int)]](repeating: [], count: n)  // (view, blob index)
        for k in views.indices where k != r {
            let v = views[k]
            let bx = v.tx - ref.tx, by = v.ty - ref.ty
            let bl = (bx * bx + by * by).squareRoot()
            let candIndex = v.blobs.indices.filter { !used[k][$0] }
            guard bl > 0, !candIndex.isEmpty, n > 0 else { continue }
            let ex = bx / bl, ey = by / bl
            let m = candIndex.count
            var cost = [Double](repeating: .infinity, count: n * m)
            let zMid = (zMin + zMax) / 2, zHalf = max((zMax - zMin) / 2, 1)
            for i in 0..<n {
                let a = ref.blobs[refIndex[i]]
                for j in 0..<m {
                    let b = v.blobs[candIndex[j]]
                    let dx = b.x - a.x, dy = b.y - a.y
                    let along = dx * ex + dy * ey, across = -dx * ey + dy * ex
                    let z = -along / bl
                    let dr = b.radius - a.radius
                    guard abs(across) <= epipolarTolerance, abs(dr) <= radiusTolerance, z >= zMin, z <= zMax else { continue }
                    let zn = (z - zMid) / zHalf
                    cost[i * m + j] = (across / epipolarTolerance) * (across / epipolarTolerance)
                        + (dr / radiusTolerance) * (dr / radiusTolerance) + 0.1 * zn * zn
                }
            }
            for (i, j) in Hungarian.solve(cost: cost, rows: n, columns: m).enumerated() {
                if let j { partners[i].append((k, candIndex[j])) }
            }
        }
        var out: [STEM4DParticle3D] = []
        for i in 0..<n where !partners[i].isEmpty {
            var obs = [(ref.blobs[refIndex[i]], ref.tx, ref.ty)]
            for (k, j) in partners[i] { obs.append((views[k].blobs[j], views[k].tx, views[k].ty)) }
            var members = partners[i]
            obs = Self.aligned(obs, views: [r] + members.map(\.0), in: views)
            guard var p = Self.triangulate(obs) else { continue }
            // A wrong partner in one view (crowded, overlapping projections) spoils the fit of
            // the others: drop the partner whose removal fits best while two views remain.
            while p.residual > maxResidual && obs.count > 2 {
                let trials = (1..<obs.count).compactMap { n -> (Int, STEM4DParticle3D)? in
                    var o = obs
                    o.remove(at: n)
                    return Self.triangulate(o).map { (n, $0) }
                }
                guard let best = trials.min(by: { $0.1.residual < $1.1.residual }) else { break }
                obs.remove(at: best.0)
                members.remove(at: best.0 - 1)
                p = best.1
            }
            guard p.residual <= maxResidual else { continue }
            out.append(p)
            used[r][refIndex[i]] = true
            for (k, j) in members { used[k][j] = true }
        }
        return out
    }

    /// The observations with every blob after the first moved to where image alignment puts
    /// the particle relative to the first (`STEM4DParticleAlignment`); a blob whose alignment
    /// fails keeps its detected centre. Unchanged when a view has no image.
    static func aligned(_ obs: [(STEM4DBlob, Double, Double)], views viewIndex: [Int], in views: [STEM4DParticleView])
        -> [(STEM4DBlob, Double, Double)] {
        guard let reference = views[viewIndex[0]].image, viewIndex.allSatisfy({ views[$0].image != nil }) else { return obs }
        let a = obs[0].0
        var out = obs
        for n in 1..<obs.count {
            let b = obs[n].0
            if let s = STEM4DParticleAlignment.shift(reference: reference, view: views[viewIndex[n]].image!, x: a.x, y: a.y,
                                                     radius: 0.5 * (a.radius + b.radius), initial: (b.x - a.x, b.y - a.y)) {
                out[n].0.x = a.x + s.0
                out[n].0.y = a.y + s.1
            }
        }
        return out
    }

    /// Least squares for (X, Y, z) from observations p_k = (X, Y) − z·t_k.
    static func triangulate(_ obs: [(STEM4DBlob, Double, Double)]) -> STEM4DParticle3D? {
        // Normal equations of the 2K×3 system.
        var a = [[Double]](repeating: [0, 0, 0], count: 3)
        var rhs = [0.0, 0.0, 0.0]
        for (b, tx, ty) in obs {
            // Row [1, 0, −tx]·[X, Y, z] = x; row [0, 1, −ty] = y.
            let rows: [([Double], Double)] = [([1, 0, -tx], b.x), ([0, 1, -ty], b.y)]
            for (r, v) in rows {
                for i in 0..<3 {
                    rhs[i] += r[i] * v
                    for j in 0..<3 { a[i][j] += r[i] * r[j] }
                }
            }
        }
        guard let s = solve3(a, rhs) else { return nil }
        var e2 = 0.0
        for (b, tx, ty) in obs {
            let ex = s[0] - s[2] * tx - b.x, ey = s[1] - s[2] * ty - b.y
            e2 += ex * ex + ey * ey
        }
        let radius = obs.map { $0.0.radius }.reduce(0, +) / Double(obs.count)
        return STEM4DParticle3D(x: s[0], y: s[1], z: s[2], radius: radius, views: obs.count,
                                residual: (e2 / Double(obs.count)).squareRoot())
    }

    static func solve3(_ m: [[Double]], _ b: [Double]) -> [Double]? {
        func det(_ m: [[Double]]) -> Double {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        let d = det(m)
        guard abs(d) > 1e-12 else { return nil }
        return (0..<3).map { c in
            var mc = m
            for r in 0..<3 { mc[r][c] = b[r] }
            return det(mc) / d
        }
    }
}
