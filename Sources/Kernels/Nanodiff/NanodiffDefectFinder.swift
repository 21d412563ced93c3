import Foundation

/// A dislocation-like feature found in a scan's maps. Coordinates in scan positions: x the
/// column, y the row, origin the centre of position (0, 0).
public struct NanodiffDefect: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case dislocation, tiltBoundary = "tilt_boundary" }
    public var kind: Kind
    public var x: Double
    public var y: Double
    /// Dislocation: the circulation ∮(q̄ − Q)·dl around the core, rad (≈ 2π·(Q·b)/2π·…;
    /// its sign is the sign of Q·b). Boundary: the tilt jump across it, rad.
    public var strength: Double
    /// Boundary: its points (fitted line's ends), scan positions; empty for a dislocation.
    public var points: [[Double]]

    public init(kind: Kind, x: Double, y: Double, strength: Double, points: [[Double]] = []) {
        self.kind = kind
        self.x = x
        self.y = y
        self.strength = strength
        self.points = points
    }
}

/// Finds dislocations in a scan's centroid map.
///
/// The local Bragg vector is the gradient of the lattice phase: q̄(r) = Q − ∇(Q·u(r)). Around a
/// dislocation with Q·b ≠ 0 the phase Q·u winds by 2π·n, so the circulation of q̄ − Q around
/// any loop enclosing the core is 2π·n and zero elsewhere (strain fields, smooth bending and
/// tilt boundaries are gradients). This is the nanodiffraction form of the BCDI plaquette
/// winding test. Circulations are summed over 2×2-step loops (four plaquettes, so a core
/// anywhere in the loop is caught); a core is a local maximum of |circulation| above π (the
/// decision point between n = 0 and n = ±1, not a tuned cut), located at the
/// circulation-weighted centre of its plaquettes. Dislocations with Q·b = 0 are invisible to
/// this reflection (the g·b = 0 criterion of diffraction contrast).
///
/// Tilt boundaries are found by `NanodiffBoundaryFinder`.
public enum NanodiffDefectFinder {
    /// Circulation of each plaquette (corners (x, y), (x+1, y), (x+1, y+1), (x, y+1)) by the
    /// trapezoid rule; `gx`, `gy` are q̄ − Q along scan x and y (Å⁻¹), `step` the scan step (Å).
    /// (width−1)×(height−1) values; NaN where a corner is missing.
    public static func plaquettes(gx: [Double], gy: [Double], width: Int, height: Int, step: Double) -> [Double] {
        guard width > 1 && height > 1 else { return [] }
        var out = [Double](repeating: .nan, count: (width - 1) * (height - 1))
        for y in 0..<(height - 1) {
            for x in 0..<(width - 1) {
                let a = y * width + x, b = a + 1, c = a + width + 1, d = a + width
                let bottom = (gx[a] + gx[b]) / 2, right = (gy[b] + gy[c]) / 2
                let top = (gx[c] + gx[d]) / 2, left = (gy[d] + gy[a]) / 2
                out[y * (width - 1) + x] = step * (bottom + right - top - left)
            }
        }
        return out
    }

    /// Dislocation cores from the plaquette circulations.
    public static func dislocations(plaquettes p: [Double], width: Int, height: Int) -> [NanodiffDefect] {
        let pw = width - 1, ph = height - 1
        guard pw >= 2 && ph >= 2 else { return [] }
        // 2×2 loop sums, anchored at plaquette (x, y).
        let lw = pw - 1, lh = ph - 1
        var loop = [Double](repeating: .nan, count: lw * lh)
        for y in 0..<lh {
            for x in 0..<lw {
                loop[y * lw + x] = p[y * pw + x] + p[y * pw + x + 1] + p[(y + 1) * pw + x] + p[(y + 1) * pw + x + 1]
            }
        }
        var found: [NanodiffDefect] = []
        for y in 0..<lh {
            for x in 0..<lw {
                let v = loop[y * lw + x]
                guard v.isFinite, abs(v) > Double.pi else { continue }
                var isMax = true
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let xx = x + dx, yy = y + dy
                        guard xx >= 0 && xx < lw && yy >= 0 && yy < lh else { continue }
                        let o = abs(loop[yy * lw + xx])
                        // Ties go to the first in raster order.
                        if o > abs(v) || (o == abs(v) && (yy * lw + xx) < (y * lw + x)) { isMax = false }
                    }
                }
                guard isMax else { continue }
                // Centre: plaquette centres weighted by their same-sign circulation.
                var sx = 0.0, sy = 0.0, sw = 0.0
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let c = p[(y + dy) * pw + x + dx]
                    let w = max(0, c * (v > 0 ? 1 : -1))
                    sx += w * (Double(x + dx) + 0.5)
                    sy += w * (Double(y + dy) + 0.5)
                    sw += w
                }
                guard sw > 0 else { continue }
                found.append(NanodiffDefect(kind: .dislocation, x: sx / sw, y: sy / sw, strength: v))
            }
        }
        return found
    }

    /// Bilinear sample of `map` at p (nil outside or next to a missing value).
    static func bilinear(_ map: [Double], width: Int, height: Int, at p: SIMD2<Double>) -> Double? {
        guard p.x >= 0, p.y >= 0, p.x <= Double(width - 1), p.y <= Double(height - 1) else { return nil }
        let x0 = min(Int(p.x), width - 2), y0 = min(Int(p.y), height - 2)
        let fx = p.x - Double(x0), fy = p.y - Double(y0)
        let a = map[y0 * width + x0], b = map[y0 * width + x0 + 1], c = map[(y0 + 1) * width + x0], d = map[(y0 + 1) * width + x0 + 1]
        let v = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
        return v.isFinite ? v : nil
    }
}
