/// One view of the slab for line stereo: a virtual image and its projection direction — an
/// object point (X, Y, z) appears at (X − z·tx, Y − z·ty) in it (scan px; z positive
/// downstream). (tx, ty) is the tangent of the view's beam tilt in scan coordinates.
public struct STEM4DLineView: Sendable, Hashable {
    /// The virtual image (scan rows × cols).
    public var image: STEM4DImage
    /// Shift per unit depth, scan px / scan px.
    public var tx: Double
    public var ty: Double

    /// A view of `image` whose points at depth z are shifted by −z·(`tx`, `ty`).
    public init(image: STEM4DImage, tx: Double, ty: Double) {
        self.image = image; self.tx = tx; self.ty = ty
    }

    /// The image divided by its median level, so views of different dose compare in units of
    /// relative contrast (a dark line of absorbed fraction c is a dip of about c).
    public func normalised() -> STEM4DLineView {
        let sorted = image.pixels.filter(\.isFinite).sorted()
        let level = sorted.isEmpty ? 1 : sorted[sorted.count / 2]
        let scale: Float = level > 0 ? 1 / level : 1
        return STEM4DLineView(image: STEM4DImage(rows: image.rows, cols: image.cols, pixels: image.pixels.map { $0 * scale }),
                              tx: tx, ty: ty)
    }
}
