/// Upper bounds checked against a PNG's declared size before any pixel memory is allocated,
/// so a corrupt or hostile header cannot make a worker allocate gigabytes.
public struct PNGLimits: Sendable, Equatable {
    public var maxWidth: Int
    public var maxHeight: Int
    /// Total pixels; the decoded frame takes 4 bytes per pixel.
    public var maxPixels: Int

    public init(maxWidth: Int = 32768, maxHeight: Int = 32768, maxPixels: Int = 1 << 28) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
    }

    /// 32768×32768 per side and 2²⁸ pixels (1 GiB as Float) in total.
    public static let `default` = PNGLimits()

    func check(_ header: PNGHeader, path: String) throws {
        if header.width > maxWidth || header.height > maxHeight {
            throw FormatError(
                .tooLarge, file: path,
                problem: "PNG IHDR declares \(header.width)×\(header.height) pixels (limit \(maxWidth)×\(maxHeight))")
        }
        if header.width * header.height > maxPixels {
            throw FormatError(
                .tooLarge, file: path,
                problem: "PNG IHDR declares \(header.width)×\(header.height) = \(header.width * header.height) pixels (limit \(maxPixels))")
        }
    }
}
