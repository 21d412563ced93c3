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
