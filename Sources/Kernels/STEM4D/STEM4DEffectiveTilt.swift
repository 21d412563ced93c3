#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension STEM4DStereoGeometry {
    /// The projection direction of a virtual detector's view in scan coordinates: a point at
    /// depth z appears shifted by −z·(tx, ty).
    ///
    /// Each detector pixel inside the bright-field disk sees the slab along its own tilt, so a
    /// view's shift is the mean tilt of its pixels weighted by the bright-field signal they
    /// carry: mask weight × the pixel's covered fraction of the disk × the mean pattern there.
    /// A detector that reaches the rim therefore tilts less than its geometric centre says (the
    /// part outside the disk carries no shifted image), and a disk that is brighter on one side
    /// pulls the tilt that way; using the measured mean pattern keeps the depth scale right on
    /// any scan and detector size. The tilt is turned by `scanRotationDeg` into the scan frame.
    public static func viewShift(of detector: STEM4DDetectorGeometry, brightField bf: STEM4DBrightField, convergenceMrad: Double,
                                 shape: STEM4DDetectorShape, meanPattern: [Float], scanRotationDeg: Double) -> (tx: Double, ty: Double) {
        let mask = detector.rasterise(shape)
        func inside(_ i: Int) -> Double {
            let dx = Double(i % shape.cols) - bf.cx, dy = Double(i / shape.cols) - bf.cy
            return min(1, max(0, bf.radius - (dx * dx + dy * dy).squareRoot() + 0.5))
        }
        // The bright-field level: the mean pattern where a pixel lies wholly inside the disk; a
        // rim pixel mixes disk and surround, so it takes the median level of the inner pixels.
        let usable = meanPattern.count == mask.count
        let inner = usable ? mask.indices.filter { inside($0) >= 1 }.map { Double(meanPattern[$0]) }.sorted() : []
        let plateau = inner.isEmpty ? 1 : max(0, inner[inner.count / 2])
        var sw = 0.0, sx = 0.0, sy = 0.0
        for y in 0..<shape.rows {
            for x in 0..<shape.cols {
                let i = y * shape.cols + x
                let dx = Double(x) - bf.cx, dy = Double(y) - bf.cy
                let f = inside(i)
                let level = usable && f >= 1 ? max(0, Double(meanPattern[i])) : plateau
                let w = Double(mask[i]) * f * level
                sw += w; sx += w * dx; sy += w * dy
            }
        }
        guard sw > 0 else { return (0, 0) }
        let s = bf.mradPerPixel(convergenceMrad: convergenceMrad) * 1e-3
        let a = scanRotationDeg * .pi / 180
        // Tilt (rad) along the detector axes, then turned into the scan frame.
        let ux = s * sx / sw, uy = s * sy / sw
        let rx = cos(a) * ux - sin(a) * uy, ry = sin(a) * ux + cos(a) * uy
        let theta = (rx * rx + ry * ry).squareRoot()
        guard theta > 0 else { return (0, 0) }
        return (tan(theta) * rx / theta, tan(theta) * ry / theta)
    }
}

extension STEM4DStereoGeometry {
    /// The spread of a view's tilts about its mean (`viewShift`): each detector pixel sees the
    /// slab along its own tilt, so an object at depth z is smeared over z × these offsets. The
    /// pixels' offsets (weighted as in `viewShift`) are pooled into at most `bins` × `bins`
    /// cells of the detector's extent; each entry is (dtx, dty, weight), the weights summing to 1.
    public static func viewTiltSpread(of detector: STEM4DDetectorGeometry, brightField bf: STEM4DBrightField, convergenceMrad: Double,
                                      shape: STEM4DDetectorShape, meanPattern: [Float], scanRotationDeg: Double,
                                      bins: Int = 3) -> [(dtx: Double, dty: Double, weight: Double)] {
        let mask = detector.rasterise(shape)
        let usable = meanPattern.count == mask.count
        func inside(_ i: Int) -> Double {
            let dx = Double(i % shape.cols) - bf.cx, dy = Double(i / shape.cols) - bf.cy
            return min(1, max(0, bf.radius - (dx * dx + dy * dy).squareRoot() + 0.5))
        }
        let inner = usable ? mask.indices.filter { inside($0) >= 1 }.map { Double(meanPattern[$0]) }.sorted() : []
        let plateau = inner.isEmpty ? 1 : max(0, inner[inner.count / 2])
        let s = bf.mradPerPixel(convergenceMrad: convergenceMrad) * 1e-3
        let a = scanRotationDeg * .pi / 180
        var pixels: [(Double, Double, Double)] = []
        for i in mask.indices where mask[i] > 0 {
            let f = inside(i)
            let w = Double(mask[i]) * f * (usable && f >= 1 ? max(0, Double(meanPattern[i])) : plateau)
            guard w > 0 else { continue }
            let ux = s * (Double(i % shape.cols) - bf.cx), uy = s * (Double(i / shape.cols) - bf.cy)
            let rx = cos(a) * ux - sin(a) * uy, ry = sin(a) * ux + cos(a) * uy
            let theta = (rx * rx + ry * ry).squareRoot()
            let k = theta > 0 ? tan(theta) / theta : 1
            pixels.append((k * rx, k * ry, w))
        }
        let sw = pixels.map(\.2).reduce(0, +)
        guard sw > 0 else { return [(0, 0, 1)] }
        let mx = pixels.map { $0.0 * $0.2 }.reduce(0, +) / sw, my = pixels.map { $0.1 * $0.2 }.reduce(0, +) / sw
        let lx = pixels.map(\.0).min()!, hx = pixels.map(\.0).max()!, ly = pixels.map(\.1).min()!, hy = pixels.map(\.1).max()!
        let n = max(1, bins)
        var cells = [(Double, Double, Double)](repeating: (0, 0, 0), count: n * n)
        for (tx, ty, w) in pixels {
            let bx = hx > lx ? min(n - 1, Int(Double(n) * (tx - lx) / (hx - lx))) : 0
            let by = hy > ly ? min(n - 1, Int(Double(n) * (ty - ly) / (hy - ly))) : 0
            cells[by * n + bx].0 += w * (tx - mx); cells[by * n + bx].1 += w * (ty - my); cells[by * n + bx].2 += w
        }
        return cells.filter { $0.2 > 0 }.map { ($0.0 / $0.2, $0.1 / $0.2, $0.2 / sw) }
    }
}
