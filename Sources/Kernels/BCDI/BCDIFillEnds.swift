/// What becomes of an open line's end that runs in the voxels the support's notch fill added
/// (`BCDISupportNotches`): the layer the SNR trim judged too noisy for the phase, given back
/// because a line's residue chain runs on into it. There the line's extent is the data's (the
/// chain and the core go on), but not its course: over its last voxel or so the traced end
/// turns towards the filled support's edge, 2–2.5 voxels off the true line (issue 12, twelfth
/// session, second round; docs/bcdi.md).
public enum BCDIFillEnds: String, CaseIterable, Hashable, Sendable {
    /// The traced end as it is.
    case off
    /// The end's points in the filled voxels put on the ray the line had before it entered them
    /// (its chord over the last `minFreeLength` voxels inside), as far as they reach along it:
    /// the extent kept, the course the line's own.
    case ray
    /// The end cut where it enters the filled voxels.
    case clip
    /// `ray`, and at every end of a residue-traced line the tip given back beyond the chain's
    /// last residue (`BCDILines.extendEnd`) put on the end's own tangent: beyond the last
    /// residue the core region tells the line's extent, not its course (experiment).
    case tips

    /// `points` of an open line with both ends treated by `mode`; `filled` marks the voxels the
    /// fill added. `span` is the length (voxels) of line inside over which its direction is
    /// taken. A line wholly in the filled voxels, or with fewer than two points inside, is kept
    /// as it is.
    public static func apply(_ points: [SIMD3<Double>], mode: BCDIFillEnds, filled: [UInt8], shape: BCDIShape,
                             span: Double) -> [SIMD3<Double>] {
        guard mode != .off, points.count >= 2 else { return points }
        func inFill(_ p: SIMD3<Double>) -> Bool {
            let r = p.rounded(.toNearestOrEven)
            let x = Int(r.x), y = Int(r.y), z = Int(r.z)
            return shape.contains(x: x, y: y, z: z) && filled[shape.index(x: x, y: y, z: z)] != 0
        }
        var pts = treatEnd(points, mode: mode, span: span, inFill: inFill)
        pts = treatEnd(pts.reversed(), mode: mode, span: span, inFill: inFill).reversed()
        return pts
    }

    /// The last end of `pts` treated.
    static func treatEnd(_ pts: [SIMD3<Double>], mode: BCDIFillEnds, span: Double, inFill: (SIMD3<Double>) -> Bool) -> [SIMD3<Double>] {
        // The trailing run of points in the filled voxels starts at `k`.
        var k = pts.count
        while k > 0 && inFill(pts[k - 1]) { k -= 1 }
        guard k < pts.count, k >= 2 else { return pts }
        let anchor = pts[k - 1]
        // The chord over the last `span` voxels inside.
        var back = k - 1, walked = 0.0
        while back > 0 && walked < span {
            walked += BCDIVec.length(pts[back] - pts[back - 1])
            back -= 1
        }
        let chord = anchor - pts[back]
        guard BCDIVec.length(chord) > 0 else { return pts }
        if mode == .clip { return Array(pts[..<k]) }
        // `ray` and `tips` alike from here.
        let t = BCDIVec.normalized(chord)
        var out = Array(pts[..<k])
        var reached = 0.0
        for p in pts[k...] {
            // Only what lies further along the ray: the extent, never a step back.
            let s = BCDIVec.dot(p - anchor, t)
            guard s > reached else { continue }
            reached = s
            out.append(anchor + t * s)
        }
        return out
    }
}
