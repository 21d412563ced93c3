/// What one detector frame (one scan position at one rocking angle) contributes to the
/// position's point cloud: the background-subtracted weights of the pixels above the Poisson
/// threshold and their first and second moments in detector pixels (column u, row v, origin
/// the centre of pixel (0, 0)).
public struct NanodiffFrameMoments: Sendable, Equatable, Codable {
    /// Σw, Σw·u, Σw·v, Σw·u², Σw·u·v, Σw·v² over the kept pixels (w = value − background).
    public var w = 0.0, wu = 0.0, wv = 0.0, wuu = 0.0, wuv = 0.0, wvv = 0.0
    /// Pixels kept.
    public var count = 0
    /// The frame's background per pixel (mean of the pixels not flagged as signal).
    public var background = 0.0
    /// The count threshold used.
    public var threshold = 0.0

    public init() {}

    /// Mean column and row of the kept pixels (nil when nothing was kept).
    public var centroid: (u: Double, v: Double)? {
        w > 0 ? (wu / w, wv / w) : nil
    }

    /// Weighted covariance [uu, uv, vv] of the kept pixels.
    public var covariance: SIMD3<Double> {
        guard w > 0 else { return .zero }
        let u = wu / w, v = wv / w
        return SIMD3(max(0, wuu / w - u * u), wuv / w - u * v, max(0, wvv / w - v * v))
    }
}
