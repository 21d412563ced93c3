/// The crystal support when a reconstruction comes without one: an amplitude threshold,
/// a morphological closing, and the holes enclosed by the support filled.
///
/// Dislocation cores have low amplitude (≈0.1 of the maximum), so the threshold alone cuts
/// them out. Filling enclosed holes brings back cores inside the crystal; the closing first
/// seals the thin low-amplitude tubes where a core meets the surface, which would otherwise
/// connect the hole to the outside and keep it from being filled.
public enum BCDISupport {
    /// Support (1 inside, 0 outside) of the complex field `re + i·im`.
    /// - Parameters:
    ///   - threshold: amplitude threshold relative to the maximum amplitude.
    ///   - closingRadius: half-width of the cubic structuring element of the closing (0: none).
    public static func fromAmplitude(
        re: [Float], im: [Float], shape: BCDIShape, threshold: Float = 0.2, closingRadius: Int = 2
    ) -> [UInt8] {
        precondition(re.count == shape.count && im.count == shape.count, "buffers do not match shape \(shape)")
        var amp2 = [Float](repeating: 0, count: shape.count)
        var peak: Float = 0
        for i in 0..<shape.count {
            amp2[i] = re[i] * re[i] + im[i] * im[i]
            peak = max(peak, amp2[i])
        }
        let cut = threshold * threshold * peak
        var support = amp2.map { UInt8($0 >= cut && $0 > 0 ? 1 : 0) }
        if closingRadius > 0 {
            support = close(support, shape: shape, radius: closingRadius)
        }
        fillHoles(&support, shape: shape)
        return support
    }

    /// Sets to 1 every background voxel not 6-connected to the array border through background.
    public static func fillHoles(_ support: inout [UInt8], shape: BCDIShape) {
        precondition(support.count == shape.count, "support does not match shape \(shape)")
        guard shape.count > 0 else { return }
        var outside = [Bool](repeating: false, count: shape.count)
        var stack: [Int] = []
        func seed(_ i: Int) {
            if support[i] == 0 && !outside[i] { outside[i] = true; stack.append(i) }
        }
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx where z == 0 || y == 0 || x == 0 || z == shape.nz - 1 || y == shape.ny - 1 || x == shape.nx - 1 {
                    seed(shape.index(x: x, y: y, z: z))
                }
            }
        }
        let sx = 1, sy = shape.nx, sz = shape.planeCount
        while let i = stack.popLast() {
            let (x, y, z) = shape.coordinates(of: i)
            if x > 0 { seed(i - sx) }
            if x < shape.nx - 1 { seed(i + sx) }
            if y > 0 { seed(i - sy) }
            if y < shape.ny - 1 { seed(i + sy) }
            if z > 0 { seed(i - sz) }
            if z < shape.nz - 1 { seed(i + sz) }
        }
        for i in 0..<shape.count where !outside[i] { support[i] = 1 }
    }

    /// Morphological closing (dilation then erosion) with a (2r+1)³ cube, with everything
    /// outside the array counted as background: the array is padded by r background voxels
    /// first, so a crystal that comes within r of the border is not glued to it (a clipped
    /// erosion would keep the dilation's slab at the border, a lump of noise phases).
    public static func close(_ support: [UInt8], shape: BCDIShape, radius r: Int) -> [UInt8] {
        guard r > 0 else { return support }
        let padded = BCDIShape(nz: shape.nz + 2 * r, ny: shape.ny + 2 * r, nx: shape.nx + 2 * r)
        var p = [UInt8](repeating: 0, count: padded.count)
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                let src = shape.index(x: 0, y: y, z: z), dst = padded.index(x: r, y: y + r, z: z + r)
                for x in 0..<shape.nx { p[dst + x] = support[src + x] }
            }
        }
        let closed = boxFilter(boxFilter(p, shape: padded, radius: r, keep: 1), shape: padded, radius: r, keep: 0)
        var out = [UInt8](repeating: 0, count: shape.count)
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                let dst = shape.index(x: 0, y: y, z: z), src = padded.index(x: r, y: y + r, z: z + r)
                for x in 0..<shape.nx { out[dst + x] = closed[src + x] }
            }
        }
        return out
    }

    /// Dilation by a (2r+1)³ cube.
    public static func dilate(_ support: [UInt8], shape: BCDIShape, radius r: Int) -> [UInt8] {
        r > 0 ? boxFilter(support, shape: shape, radius: r, keep: 1) : support
    }

    /// Erosion by a (2r+1)³ cube (the array border counts as inside).
    public static func erode(_ support: [UInt8], shape: BCDIShape, radius r: Int) -> [UInt8] {
        r > 0 ? boxFilter(support, shape: shape, radius: r, keep: 0) : support
    }

    /// Separable box filter: a voxel becomes `keep` if any voxel within `radius` (Chebyshev)
    /// is `keep` (dilation for keep = 1, erosion for keep = 0), clipped at the border.
    /// A sliding count along each axis makes it O(1) per voxel whatever the radius.
    static func boxFilter(_ v: [UInt8], shape: BCDIShape, radius r: Int, keep: UInt8) -> [UInt8] {
        var a = v.map { $0 != 0 ? UInt8(1) : 0 }
        var b = a
        let strides = [1, shape.nx, shape.planeCount], dims = [shape.nx, shape.ny, shape.nz]
        for axis in 0..<3 {
            let s = strides[axis], n = dims[axis]
            // Line starts: every index whose coordinate along `axis` is 0.
            for start in 0..<shape.count where (start / s) % n == 0 {
                var hits = 0  // voxels equal to `keep` in the window [c - r, c + r]
                for d in 0..<min(n, r) where a[start + d * s] == keep { hits += 1 }
                for c in 0..<n {
                    if c + r < n && a[start + (c + r) * s] == keep { hits += 1 }
                    if c - r - 1 >= 0 && a[start + (c - r - 1) * s] == keep { hits -= 1 }
                    b[start + c * s] = hits > 0 ? keep : 1 - keep
                }
            }
            swap(&a, &b)
        }
        return a
    }
}
