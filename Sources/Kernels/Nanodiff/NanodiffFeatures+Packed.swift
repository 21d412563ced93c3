extension NanodiffFeatures {
    /// Values per position in `packed` (the shard files' last axis).
    public static let packedCount = 24

    /// The features as a fixed-order vector: intensity, voxels, q (3), covariance (6),
    /// widths (3), axis (3), linearity, planarity, sphericity, rocking centre, width, skew, kurtosis.
    public var packed: [Double] {
        [intensity, Double(voxels), q.x, q.y, q.z] + covariance + [widths.x, widths.y, widths.z, axis.x, axis.y, axis.z,
         linearity, planarity, sphericity, rockingCentreDeg, rockingWidthDeg, rockingSkew, rockingKurtosis]
    }

    /// Features from `packed` values (`packedCount` of them from `offset`).
    public init(packed v: ArraySlice<Double>) {
        let b = v.startIndex
        self.init()
        intensity = v[b]; voxels = Int(v[b + 1]); q = SIMD3(v[b + 2], v[b + 3], v[b + 4])
        covariance = Array(v[(b + 5)..<(b + 11)])
        widths = SIMD3(v[b + 11], v[b + 12], v[b + 13]); axis = SIMD3(v[b + 14], v[b + 15], v[b + 16])
        linearity = v[b + 17]; planarity = v[b + 18]; sphericity = v[b + 19]
        rockingCentreDeg = v[b + 20]; rockingWidthDeg = v[b + 21]; rockingSkew = v[b + 22]; rockingKurtosis = v[b + 23]
    }
}
