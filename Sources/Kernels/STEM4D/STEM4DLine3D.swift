/// A 3D line from stereo: points `[x, y, z]` in scan px (z from the focal plane, positive
/// downstream) ordered along the line, with the misfit of its views.
public struct STEM4DLine3D: Sendable, Hashable, Codable {
    /// Points `[x, y, z]` along the line.
    public var points: [[Double]]
    /// RMS (px) of the views' cross-section displacements left after the depth fit: how far
    /// the line, re-projected into each view, lies from where that view shows it.
    public var reprojectionRMS: Double

    /// A line through `points`.
    public init(points: [[Double]], reprojectionRMS: Double = 0) {
        self.points = points; self.reprojectionRMS = reprojectionRMS
    }
}
