/// The sideways move a blur gives a phase-vortex line in a field with a phase ramp, and its
/// undoing (`BCDILineSmoothing.residueNoiseBlurRamp`).
///
/// Near a line the field is ρ ≈ a·(u + i·v)·e^{i g·r}, (u, v, t̂) right-handed with t̂ the
/// tangent about which the phase winds right-handedly. A Gaussian blur of width σ turns it into
/// e^{i g·r} e^{−σ²|g|²/2}·a·((u + iσ² g_u) + i·(v + iσ² g_v)), whose zero lies at
/// σ²·(g_v, −g_u): the line moves by σ² g × t̂, across itself and perpendicular to the ramp.
/// A loop in a plane of normal n̂ therefore grows or shrinks uniformly by σ² (g·n̂) — which of
/// the two depends on its sense — and tilts about the in-plane part of g; it is not moved in
/// one side and out the other (a solid-angle ring of radius 5, core dip 0.8, σ = 1.5, g = 0.15
/// rad/voxel, scipy: radius 4.00 without a ramp, 3.59 / 4.40 with g along ±n̂, and 4.01 with
/// a ±0.28 tilt with g in its plane). So the shrink correction alone (`unshrink`) pushes out
/// further a loop that the ramp already grew.
///
/// Only the blur that acted while the ramp was in the field moves the line: the measured blur
/// the deconvolution did not invert (the deconvolution runs on the field with its ramp, and at
/// the ramp's low frequency it is the inverse Gaussian). The denoising smoothing runs after the
/// ramp is demodulated and adds nothing.
public enum BCDIRampShift {
    /// The vector `pull` (voxel²·rad/voxel) with which a line of winding tangent t̂ is moved by
    /// pull × t̂: the ramp `ramp` (rad/voxel) times the blur left in the field before the ramp
    /// was taken out, `blur`² − `inverted`² (`BCDIVolumeAnalysis.Result.blur`, `.inverted`).
    public static func pull(ramp: SIMD3<Double>, blur: Double, inverted: Double) -> SIMD3<Double> {
        let width = width(blur: blur, inverted: inverted)
        return ramp * (width * width)
    }

    /// Gaussian width (voxels) of the blur that acted while the ramp was in the field: the
    /// measured blur less what the deconvolution inverted, √(`blur`² − `inverted`²).
    public static func width(blur: Double, inverted: Double) -> Double {
        max(0, blur * blur - inverted * inverted).squareRoot()
    }

    /// `points` moved back by the ramp's blur shift: each by −`pull` × t̂, t̂ the unit tangent
    /// (the chord over two points either side; one-sided at an open line's ends) oriented by
    /// `sense` (+1: the phase winds right-handedly about the point order, −1 the opposite).
    /// `sense` 0 or a zero `pull` leaves the line as it is.
    public static func undo(_ points: [SIMD3<Double>], closed: Bool, sense: Int, pull: SIMD3<Double>) -> [SIMD3<Double>] {
        let n = points.count
        guard sense != 0, n >= 2, (pull * pull).sum() > 0 else { return points }
        let s = Double(sense)
        return (0..<n).map { i in
            let (a, b) = closed ? ((i + n - 2) % n, (i + 2) % n) : (max(0, i - 2), min(n - 1, i + 2))
            let chord = points[b] - points[a]
            let length = (chord * chord).sum().squareRoot()
            guard length > 0 else { return points[i] }
            let t = chord * (s / length)
            let shift = SIMD3(pull.y * t.z - pull.z * t.y, pull.z * t.x - pull.x * t.z, pull.x * t.y - pull.y * t.x)
            return points[i] - shift
        }
    }

    /// The sense of a traced path of cells (lowest corners, consecutive cells face-adjacent):
    /// per step from cell a to b, the winding of the residue on the face between them times the
    /// step's sign along that face's axis; +1 or −1 when at least three quarters of the steps
    /// with a residue agree (the rule of `BCDILines.windingSign`), 0 otherwise. `winding`: the
    /// residues' windings keyed by `key(upperCell:axis:)`.
    static func sense(of cells: [SIMD3<Int>], closed: Bool, winding: [SIMD4<Int>: Int]) -> Int {
        let n = cells.count
        guard n >= 2 else { return 0 }
        var plus = 0, minus = 0
        for k in 0..<(closed ? n : n - 1) {
            let (a, b) = (cells[k], cells[(k + 1) % n])
            let d = b &- a
            guard let axis = (0..<3).first(where: { d[$0] != 0 }), abs(d[axis]) == 1 else { continue }
            let upper = d[axis] > 0 ? b : a
            guard let w = winding[key(upperCell: upper, axis: axis)], w != 0 else { continue }
            if w * d[axis] > 0 { plus += 1 } else { minus += 1 }
        }
        let total = plus + minus
        guard total > 0 else { return 0 }
        if 4 * plus >= 3 * total { return 1 }
        if 4 * minus >= 3 * total { return -1 }
        return 0
    }

    /// The key of the face between `upperCell` and the cell below it along `axis`.
    static func key(upperCell c: SIMD3<Int>, axis: Int) -> SIMD4<Int> { SIMD4(c.x, c.y, c.z, axis) }
}
