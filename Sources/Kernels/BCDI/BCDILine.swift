/// One detected dislocation line.
public struct BCDILine: Hashable, Sendable {
    /// Centreline `[x, y, z]` in voxels, ordered; for a closed line the first point is not repeated.
    public var points: [SIMD3<Double>]
    public var closed: Bool
    /// Polyline length in voxels (including the closing segment of a closed line).
    public var length: Double
    /// Whether the first / last point lies within the surface distance of the crystal surface
    /// (a masked voxel or the array border); false for closed lines.
    public var startOnSurface: Bool
    public var endOnSurface: Bool
    /// Largest Ψ of the voxels of the line's component.
    public var maxPsi: Float
    /// Mean direction, a unit vector: first → last point of an open line, or the principal
    /// axis of the points when the line is closed or curls back on itself.
    public var direction: SIMD3<Double>
    /// +1 when the phase winds right-handedly about the line's point order (the residues near
    /// the line agree with it), −1 for the opposite, nil when not well defined.
    public var windingSign: Int?
    /// Index of the 26-connected Ψ component the line came from (lines split at branch
    /// points share it).
    public var component: Int

    public init(
        points: [SIMD3<Double>], closed: Bool, startOnSurface: Bool = false, endOnSurface: Bool = false,
        maxPsi: Float = 0, windingSign: Int? = nil, component: Int = 0
    ) {
        self.points = points
        self.closed = closed
        self.length = BCDILine.polylineLength(points, closed: closed)
        self.startOnSurface = startOnSurface
        self.endOnSurface = endOnSurface
        self.maxPsi = maxPsi
        self.direction = BCDILine.meanDirection(points, closed: closed)
        self.windingSign = windingSign
        self.component = component
    }

    /// First and last point (the end points of an open line).
    public var start: SIMD3<Double>? { points.first }
    public var end: SIMD3<Double>? { points.last }

    /// The segments of the polyline (with the closing one for a closed line).
    public var segments: [(SIMD3<Double>, SIMD3<Double>)] {
        guard points.count > 1 else { return points.map { ($0, $0) } }
        var s = (0..<(points.count - 1)).map { (points[$0], points[$0 + 1]) }
        if closed { s.append((points[points.count - 1], points[0])) }
        return s
    }

    static func polylineLength(_ p: [SIMD3<Double>], closed: Bool) -> Double {
        guard p.count > 1 else { return 0 }
        var l = 0.0
        for i in 0..<(p.count - 1) { l += BCDIVec.length(p[i + 1] - p[i]) }
        if closed { l += BCDIVec.length(p[0] - p[p.count - 1]) }
        return l
    }

    static func meanDirection(_ p: [SIMD3<Double>], closed: Bool) -> SIMD3<Double> {
        guard p.count > 1 else { return SIMD3(0, 0, 1) }
        let chord = p[p.count - 1] - p[0]
        if !closed && BCDIVec.length(chord) > 0.3 * polylineLength(p, closed: false) { return BCDIVec.normalized(chord) }
        // Principal axis by power iteration on the covariance.
        let mean = p.reduce(SIMD3<Double>.zero, +) / Double(p.count)
        var cov = [SIMD3<Double>](repeating: .zero, count: 3)
        for q in p {
            let d = q - mean
            for r in 0..<3 { cov[r] += d * d[r] }
        }
        var v = closed ? SIMD3<Double>(1, 0.7, 0.3) : (BCDIVec.length(chord) > 0 ? chord : SIMD3(1, 0.7, 0.3))
        for _ in 0..<50 {
            let w = SIMD3(BCDIVec.dot(cov[0], v), BCDIVec.dot(cov[1], v), BCDIVec.dot(cov[2], v))
            guard BCDIVec.length(w) > 0 else { break }
            v = BCDIVec.normalized(w)
        }
        if !closed && BCDIVec.dot(v, chord) < 0 { v = -v }
        return BCDIVec.normalized(v)
    }
}
