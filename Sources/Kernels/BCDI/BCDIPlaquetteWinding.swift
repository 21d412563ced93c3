/// Plaquette winding numbers (phase residues): the sum of wrapped phase differences around
/// each 2×2 face of the voxel grid, divided by 2π. Nonzero faces are pierced by a phase
/// singularity line; this is the exact topological test, used to cross-check Ψ and to give
/// a line's winding (Burgers-vector) sign.
public struct BCDIResidue: Hashable, Sendable {
    /// Centre of the face, `[x, y, z]` in voxels.
    public var center: SIMD3<Double>
    /// Axis of the face normal: 0 = x, 1 = y, 2 = z.
    public var axis: Int
    /// Winding number about the +axis direction (right-handed), usually ±1.
    public var winding: Int

    public init(center: SIMD3<Double>, axis: Int, winding: Int) {
        self.center = center
        self.axis = axis
        self.winding = winding
    }

    /// `winding` times the unit normal: summing these along a line points along its
    /// singular direction (the sign convention of `BCDILine.windingSign`).
    public var vector: SIMD3<Double> {
        var v = SIMD3<Double>.zero
        v[axis] = Double(winding)
        return v
    }
}

/// The plaquette residue test.
public enum BCDIWinding {
    /// All faces with a nonzero winding whose four corners are inside the support.
    public static func residues(phase: [Float], support: [UInt8], shape: BCDIShape) -> [BCDIResidue] {
        precondition(phase.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        var out: [BCDIResidue] = []
        // For the face normal to `axis`, walk u then v (u × v = +axis): x→y about z, y→z about x, z→x about y.
        let steps = [(1, 2), (2, 0), (0, 1)]  // (u, v) axis per normal axis
        let strides = [1, shape.nx, shape.planeCount]
        let dims = [shape.nx, shape.ny, shape.nz]
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx {
                    let i = shape.index(x: x, y: y, z: z)
                    guard support[i] != 0 else { continue }
                    let p = [x, y, z]
                    for axis in 0..<3 {
                        let (u, v) = steps[axis]
                        guard p[u] + 1 < dims[u], p[v] + 1 < dims[v] else { continue }
                        let a = i, b = i + strides[u], c = i + strides[u] + strides[v], d = i + strides[v]
                        guard support[b] != 0, support[c] != 0, support[d] != 0 else { continue }
                        let s = PhaseWrap.difference(phase[b], phase[a]) + PhaseWrap.difference(phase[c], phase[b])
                            + PhaseWrap.difference(phase[d], phase[c]) + PhaseWrap.difference(phase[a], phase[d])
                        let w = Int((s / PhaseWrap.twoPi).rounded())
                        guard w != 0 else { continue }
                        var centre = SIMD3(Double(x), Double(y), Double(z))
                        centre[u] += 0.5
                        centre[v] += 0.5
                        out.append(BCDIResidue(center: centre, axis: axis, winding: w))
                    }
                }
            }
        }
        return out
    }
}
