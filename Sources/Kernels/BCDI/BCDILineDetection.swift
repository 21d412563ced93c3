/// How `BCDILines.detect` turns a Ψ > cutoff region into lines when the phase is given.
public enum BCDILineTracing: String, Hashable, Sendable, CaseIterable {
    /// Thin the region (the residues give only the winding sign).
    case skeleton
    /// Thin it, after cutting a region that holds several residue chains into one part per chain.
    case split
    /// Trace the region's residue chains themselves; thin only a region without one.
    case residues
}

/// Settings of `BCDILines.detect`.
public struct BCDILineOptions: Hashable, Sendable {
    /// How regions become lines when the phase is given (without it: `skeleton`).
    public var tracing: BCDILineTracing = .residues
    /// Voxels with Ψ above this are core voxels (the paper's 4 rad).
    public var psiCutoff: Float = 4
    /// Components with fewer voxels are dropped as noise.
    public var minVoxels: Int = 3
    /// Dangling skeleton branches shorter than this many voxels are pruned.
    public var spurLength: Int = 3
    /// An end within this distance (voxels) of a masked voxel or the array border is on the surface.
    public var surfaceDistance: Double = 2.5
    /// Passes of a 3-point moving average over the centreline.
    public var smoothing: Int = 2
    /// Closed lines whose largest extent is below this (voxels) are dropped: a vortex–antivortex
    /// pair of noise a voxel or two apart closes into such a loop, and a real loop that small
    /// is not resolved anyway.
    public var minLoopDiameter: Double = 4
    /// Open lines shorter than this (voxels) are dropped: the short arc of a noise vortex pair
    /// (a dislocation cannot end inside a crystal; at the surface, where the amplitude falls,
    /// such arcs start and end on it). A true line clipped that short by a corner of the
    /// crystal is lost with them.
    public var minFreeLength: Double = 4
    /// What becomes of an open line's end in the voxels the support's notch fill added, when
    /// `detect` is given them (`BCDIFillEnds`; its direction taken over `minFreeLength` voxels).
    public var fillEnds: BCDIFillEnds = .off
    /// How a residue-traced line is smoothed along its length (`BCDILineSmoothing`): `off`, the
    /// 1-2-1 passes of `smoothing`; `residueNoise`, by each cell's measured position noise when
    /// `detect` is given the precision map.
    public var lineSmoothing: BCDILineSmoothing = .off
    /// Gaussian width (voxels) of the blur still in the field whose residues are traced — the
    /// measured blur the deconvolution left, with the denoising width in quadrature — for
    /// `lineSmoothing = .residueNoiseBlur` (`BCDIVolumeAnalysis.fieldBlur`); 0: none known.
    public var fieldBlur: Double = 0
    /// The ramp's blur pull (`BCDIRampShift.pull`: the measured ramp times the blur left before
    /// it was taken out, squared), for `lineSmoothing = .residueNoiseBlurRamp`; zero: none known.
    public var rampPull: SIMD3<Double> = .zero

    public init(psiCutoff: Float = 4, minVoxels: Int = 3, spurLength: Int = 3, surfaceDistance: Double = 2.5, smoothing: Int = 2,
                minLoopDiameter: Double = 4, minFreeLength: Double = 4, tracing: BCDILineTracing = .residues) {
        self.tracing = tracing
        self.psiCutoff = psiCutoff
        self.minVoxels = minVoxels
        self.spurLength = spurLength
        self.surfaceDistance = surfaceDistance
        self.smoothing = smoothing
        self.minLoopDiameter = minLoopDiameter
        self.minFreeLength = minFreeLength
    }
}

/// From a Ψ volume to dislocation lines: threshold → 26-connected components → thinning →
/// polylines split at branch points → sub-voxel centring (Ψ-weighted centroid of the
/// 3×3×3 core voxels) and light smoothing → per-line properties.
public enum BCDILines {
    /// Lines of `psi` (full volume, C order). `phase` (the one Ψ was computed from) enables
    /// the winding sign from plaquette residues; pass nil to skip it. `filled`: the support's
    /// voxels that the notch fill added (`BCDIVolumeAnalysis.prepareFilled`), for `options.fillEnds`.
    /// `precision`: per voxel, the precision of a zero's position there
    /// (`BCDILineSmoothing.precisionMap`), for `options.lineSmoothing`.
    public static func detect(
        psi: [Float], support: [UInt8], phase: [Float]? = nil, shape: BCDIShape, options: BCDILineOptions = BCDILineOptions(),
        filled: [UInt8]? = nil, precision: [Float]? = nil
    ) -> [BCDILine] {
        precondition(psi.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        let cut = options.psiCutoff
        let comps = BCDIComponents.label(shape: shape) { psi[$0] > cut }
        let residues = phase.map { BCDIWinding.residues(phase: $0, support: support, shape: shape) } ?? []
        let chains = significantChains(residues, components: comps, shape: shape, options: options)
        var lines: [BCDILine] = []
        for (ci, comp) in comps.enumerated() where comp.count >= options.minVoxels {
            // Lines with the noise-pair length rules waived (the inner pieces of a residue chain).
            // `test`: the line the noise-pair rules judge, when it differs from the line kept.
            var found: [(line: BCDILine, inner: Bool, test: BCDILine?)]
            if options.tracing == .residues && !chains[ci].isEmpty {
                found = residueLines(comp, chains: chains[ci], residues: residues, support: support, shape: shape, options: options,
                                     precision: options.lineSmoothing.usesPrecision ? precision : nil)
            } else {
                let parts = options.tracing == .split && chains[ci].count >= 2 ? split(comp, along: chains[ci], residues: residues, shape: shape) : [comp]
                found = parts.filter { $0.count >= options.minVoxels }.flatMap { trace($0, psi: psi, support: support, shape: shape, options: options) }
                    .map { ($0, false, nil) }
            }
            let maxPsi = comp.map { psi[$0] }.max() ?? 0
            for (found, inner, test) in found {
                var line = found
                line.maxPsi = maxPsi
                line.component = ci
                guard inner || !isNoise(test ?? line, options: options) else { continue }
                if !line.closed, options.fillEnds != .off, let filled {
                    let pts = BCDIFillEnds.apply(line.points, mode: options.fillEnds, filled: filled, shape: shape, span: options.minFreeLength)
                    if pts != line.points {
                        var treated = self.line(pts, closed: false, support: support, shape: shape, options: options)
                        treated.maxPsi = line.maxPsi
                        treated.component = line.component
                        line = treated
                    }
                }
                if phase != nil { line.windingSign = windingSign(of: line, residues: residues) }
                lines.append(line)
            }
        }
        return lines
    }

    /// The lines of a core region traced along its residue chains. A chain ends a voxel or so
    /// inside the support (a residue needs its face's four voxels there); such an end gets the
    /// tip of its own share of the region back (`extendEnd`; the share is the region's voxels
    /// nearer this chain than any other, so a close neighbour's core does not pull it).
    static func residueLines(_ region: [Int], chains: [[Int]], residues: [BCDIResidue], support: [UInt8], shape: BCDIShape,
                             options: BCDILineOptions, precision: [Float]? = nil) -> [(line: BCDILine, inner: Bool, test: BCDILine?)] {
        let variance = precision.map { map in { (cell: SIMD3<Int>) in BCDILineSmoothing.cellVariance(cell, precision: map, shape: shape) } }
        let parts = chains.count >= 2 ? split(region, along: chains, residues: residues, shape: shape) : [region]
        var out: [(line: BCDILine, inner: Bool, test: BCDILine?)] = []
        for (chain, part) in zip(chains, parts) {
            let voxels = part.map { i -> SIMD3<Double> in
                let c = shape.coordinates(of: i)
                return SIMD3(Double(c.x), Double(c.y), Double(c.z))
            }
            for piece in BCDIResidueChains.pieces(chain, residues: residues, spurLength: options.spurLength, smoothing: options.smoothing,
                                                  variance: variance, blur: options.lineSmoothing.undoesBlur ? options.fieldBlur : 0,
                                                  rampPull: options.lineSmoothing.undoesRampShift ? options.rampPull : .zero,
                                                  wholeLoop: options.lineSmoothing.unshrinksWholeLoops) {
                let onRay = options.fillEnds == .tips
                func traced(_ points: [SIMD3<Double>]) -> BCDILine {
                    var pts = points
                    if piece.endIsEnd { pts = extendEnd(pts, voxels: voxels, onRay: onRay) }
                    if piece.startIsEnd { pts = extendEnd(pts.reversed(), voxels: voxels, onRay: onRay).reversed() }
                    return line(pts, closed: piece.closed, support: support, shape: shape, options: options)
                }
                let plain = traced(piece.points)
                if let refined = piece.refined {
                    out.append((traced(refined), piece.inner, plain))
                } else {
                    out.append((plain, piece.inner, nil))
                }
            }
        }
        return out
    }

    /// A line through `points`, with its ends tested against the surface.
    static func line(_ points: [SIMD3<Double>], closed: Bool, support: [UInt8], shape: BCDIShape, options: BCDILineOptions) -> BCDILine {
        var line = BCDILine(points: points, closed: closed)
        if !closed {
            line.startOnSurface = nearSurface(points[0], support: support, shape: shape, distance: options.surfaceDistance)
            line.endOnSurface = nearSurface(points[points.count - 1], support: support, shape: shape, distance: options.surfaceDistance)
        }
        return line
    }

    /// The lines of one core region (a Ψ component, or the part of one that a residue chain
    /// owns), before the noise-pair filter: thinning → polylines → centring, smoothing, tips.
    static func trace(_ region: [Int], psi: [Float], support: [UInt8], shape: BCDIShape, options: BCDILineOptions) -> [BCDILine] {
        let cut = options.psiCutoff
        let skeleton = skeletonise(region, psi: psi, shape: shape)
        var graph = BCDISkeletonGraph(voxels: skeleton)
        graph.pruneSpurs(minLength: options.spurLength)
        let voxels = region.map { i -> SIMD3<Double> in
            let c = shape.coordinates(of: i)
            return SIMD3(Double(c.x), Double(c.y), Double(c.z))
        }
        var lines: [BCDILine] = []
        for (path, closed) in graph.trace() where path.count >= 2 {
            var pts = path.map { centroid(graph.nodes[$0], psi: psi, cutoff: cut, shape: shape) }
            smooth(&pts, closed: closed, passes: options.smoothing)
            if !closed {
                // Thinning eats into thick line ends; give true ends (degree 1) their tips back.
                if graph.edges[path[path.count - 1]].count == 1 { pts = extendEnd(pts, voxels: voxels) }
                if graph.edges[path[0]].count == 1 { pts = extendEnd(pts.reversed(), voxels: voxels).reversed() }
            }
            lines.append(line(pts, closed: closed, support: support, shape: shape, options: options))
        }
        return lines
    }

    /// Per Ψ component, the residue chains (`BCDIResidueChains`) inside it that are long enough
    /// to be lines rather than noise vortex pairs: spanning at least `minLoopDiameter` voxels,
    /// the size below which the line filter drops a loop as a noise pair.
    static func significantChains(_ residues: [BCDIResidue], components: [[Int]], shape: BCDIShape,
                                  options: BCDILineOptions) -> [[[Int]]] {
        var out = [[[Int]]](repeating: [], count: components.count)
        guard !residues.isEmpty else { return out }
        var label = [Int32](repeating: -1, count: shape.count)
        for (ci, comp) in components.enumerated() { for i in comp { label[i] = Int32(ci) } }
        for chain in BCDIResidueChains.chains(residues) where BCDIResidueChains.extent(chain, residues: residues) >= options.minLoopDiameter {
            // The component holding most of the chain's faces (a face belongs to one whose
            // voxels touch it: the cores lie on the residues).
            var votes: [Int32: Int] = [:]
            for k in chain {
                let (_, face) = BCDIResidueChains.cells(of: residues[k])
                let (u, v) = ((residues[k].axis + 1) % 3, (residues[k].axis + 2) % 3)
                var seen = Set<Int32>()
                for d in 0..<4 {
                    var corner = face
                    corner[u] += d & 1
                    corner[v] += d >> 1
                    guard shape.contains(x: corner.x, y: corner.y, z: corner.z) else { continue }
                    let l = label[shape.index(x: corner.x, y: corner.y, z: corner.z)]
                    if l >= 0 && seen.insert(l).inserted { votes[l, default: 0] += 1 }
                }
            }
            if let best = votes.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }), 2 * best.value >= chain.count {
                out[Int(best.key)].append(chain)
            }
        }
        return out
    }

    /// `region` cut into one part per chain: every voxel goes to the chain with the nearest
    /// residue. Two lines whose core tubes merged are traced apart, each from its own half.
    static func split(_ region: [Int], along chains: [[Int]], residues: [BCDIResidue], shape: BCDIShape) -> [[Int]] {
        let centres = chains.map { $0.map { residues[$0].center } }
        var parts = [[Int]](repeating: [], count: chains.count)
        for i in region {
            let c = shape.coordinates(of: i)
            let p = SIMD3(Double(c.x), Double(c.y), Double(c.z))
            var best = 0, bestDistance = Double.infinity
            for (k, list) in centres.enumerated() {
                for q in list {
                    let e = q - p
                    let d = (e * e).sum()
                    if d < bestDistance { best = k; bestDistance = d }
                }
            }
            parts[best].append(i)
        }
        return parts
    }

    /// A small closed loop, or a short open line
    /// (`minLoopDiameter`, `minFreeLength`): the trace of a noise vortex pair.
    static func isNoise(_ line: BCDILine, options: BCDILineOptions) -> Bool {
        if line.closed {
            var extent = 0.0
            for p in line.points {
                for q in line.points { extent = max(extent, BCDIVec.length(p - q)) }
            }
            return extent < options.minLoopDiameter
        }
        return line.length < options.minFreeLength
    }

    /// Thinned voxels `[x, y, z]` of one component, computed in its padded bounding box.
    static func skeletonise(_ comp: [Int], psi: [Float], shape: BCDIShape) -> [SIMD3<Int>] {
        let coords = comp.map { i -> SIMD3<Int> in
            let c = shape.coordinates(of: i)
            return SIMD3(c.x, c.y, c.z)
        }
        var lo = coords[0], hi = coords[0]
        for c in coords {
            lo = pointwiseMin(lo, c)
            hi = pointwiseMax(hi, c)
        }
        lo &-= 1
        let local = BCDIShape(nz: hi.z - lo.z + 2, ny: hi.y - lo.y + 2, nx: hi.x - lo.x + 2)
        var grid = [UInt8](repeating: 0, count: local.count)
        var priority = [Float](repeating: 0, count: local.count)
        for (c, i) in zip(coords, comp) {
            let d = c &- lo
            let j = local.index(x: d.x, y: d.y, z: d.z)
            grid[j] = 1
            priority[j] = psi[i]
        }
        BCDIThinning.thin(&grid, shape: local, priority: priority)
        var out: [SIMD3<Int>] = []
        for j in 0..<local.count where grid[j] != 0 {
            let c = local.coordinates(of: j)
            out.append(SIMD3(c.x, c.y, c.z) &+ lo)
        }
        return out
    }

    /// Appends to the last point of `pts` the centroids, per unit step along the end tangent,
    /// of the component voxels that lie beyond the end (nearer to it than to the rest of the line).
    /// `onRay`: each centroid put on the end tangent at its own distance along it (`BCDIFillEnds.tips`).
    static func extendEnd(_ pts: [SIMD3<Double>], voxels: [SIMD3<Double>], onRay: Bool = false) -> [SIMD3<Double>] {
        guard pts.count >= 2 else { return pts }
        let end = pts[pts.count - 1]
        let t = BCDIVec.normalized(end - pts[max(0, pts.count - 4)])
        let body = BCDILine(points: Array(pts.dropLast()), closed: false).segments
        var bins: [Int: (SIMD3<Double>, Double)] = [:]
        for v in voxels {
            let s = BCDIVec.dot(v - end, t)
            guard s > 0.5 else { continue }
            let dEnd = BCDIVec.length(v - end)
            guard dEnd <= BCDIEvaluation.distance(v, to: body), dEnd - s < 2 else { continue }
            let k = Int(s.rounded())
            let acc = bins[k] ?? (.zero, 0)
            bins[k] = (acc.0 + v, acc.1 + 1)
        }
        var out = pts
        for k in bins.keys.sorted() {
            // Stop at the first gap: the tip must stay connected.
            if k > 1 && bins[k - 1] == nil { break }
            let (sum, n) = bins[k]!
            out.append(onRay ? end + t * max(0, BCDIVec.dot(sum / n - end, t)) : sum / n)
        }
        return out
    }

    /// Ψ-weighted centroid of the core voxels in the 3×3×3 box about `v`.
    static func centroid(_ v: SIMD3<Int>, psi: [Float], cutoff: Float, shape: BCDIShape) -> SIMD3<Double> {
        var sum = SIMD3<Double>.zero, w = 0.0
        for dz in -1...1 {
            for dy in -1...1 {
                for dx in -1...1 {
                    let p = v &+ SIMD3(dx, dy, dz)
                    guard shape.contains(x: p.x, y: p.y, z: p.z) else { continue }
                    let s = psi[shape.index(x: p.x, y: p.y, z: p.z)]
                    guard s > cutoff else { continue }
                    sum += SIMD3(Double(p.x), Double(p.y), Double(p.z)) * Double(s)
                    w += Double(s)
                }
            }
        }
        return w > 0 ? sum / w : SIMD3(Double(v.x), Double(v.y), Double(v.z))
    }

    static func smooth(_ p: inout [SIMD3<Double>], closed: Bool, passes: Int) {
        let n = p.count
        guard n >= 3 else { return }
        for _ in 0..<passes {
            var q = p
            for i in 0..<n {
                if !closed && (i == 0 || i == n - 1) { continue }
                q[i] = (p[(i + n - 1) % n] + 2 * p[i] + p[(i + 1) % n]) / 4
            }
            p = q
        }
    }

    /// True when a masked voxel or the outside of the array lies within `distance` of `p`.
    static func nearSurface(_ p: SIMD3<Double>, support: [UInt8], shape: BCDIShape, distance: Double) -> Bool {
        let r = Int(distance.rounded(.up))
        let c = p.rounded(.toNearestOrEven)
        let cx = Int(c.x), cy = Int(c.y), cz = Int(c.z)
        for dz in -r...r {
            for dy in -r...r {
                for dx in -r...r {
                    let q = SIMD3(Double(cx + dx), Double(cy + dy), Double(cz + dz))
                    guard BCDIVec.length(q - p) <= distance else { continue }
                    if !shape.contains(x: cx + dx, y: cy + dy, z: cz + dz) { return true }
                    if support[shape.index(x: cx + dx, y: cy + dy, z: cz + dz)] == 0 { return true }
                }
            }
        }
        return false
    }

    /// Sign of Σ w·n̂·t over residues within 1.5 voxels of the line (t the local tangent),
    /// when at least two residues are found and at least ¾ of them agree.
    static func windingSign(of line: BCDILine, residues: [BCDIResidue]) -> Int? {
        let p = line.points
        guard p.count >= 2 else { return nil }
        var lo = p[0], hi = p[0]
        for q in p {
            lo = pointwiseMin(lo, q)
            hi = pointwiseMax(hi, q)
        }
        lo -= 1.5
        hi += 1.5
        var plus = 0, minus = 0
        for r in residues where all(r.center .>= lo) && all(r.center .<= hi) {
            var best = Double.infinity, k = 0
            for (i, q) in p.enumerated() {
                let d = BCDIVec.length(q - r.center)
                if d < best { best = d; k = i }
            }
            guard best <= 1.5 else { continue }
            let a = line.closed ? p[(k + p.count - 1) % p.count] : p[max(0, k - 1)]
            let b = line.closed ? p[(k + 1) % p.count] : p[min(p.count - 1, k + 1)]
            let s = BCDIVec.dot(r.vector, b - a)
            if s > 0 { plus += 1 } else if s < 0 { minus += 1 }
        }
        let n = plus + minus
        guard n >= 2 else { return nil }
        if Double(plus) >= 0.75 * Double(n) { return 1 }
        if Double(minus) >= 0.75 * Double(n) { return -1 }
        return nil
    }
}
