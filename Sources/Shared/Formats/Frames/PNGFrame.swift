/// A PNG frame as a one-frame ``FrameStack`` (``PNGImage``'s streaming decoder).
public final class PNGFrame: FrameStack {
    public let file: String
    public let width: Int
    public let height: Int
    public var frameCount: Int { 1 }
    public var metadata: FrameMetadata { FrameMetadata() }
    public var formatDescription: String { "PNG, \(width)×\(height)" }

    public init(path: String) throws {
        file = path
        let header = try PNGHeader.read(path: path)
        width = header.width
        height = header.height
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index == 0 else { throw FormatError(.invalidArgument, file: file, problem: "a PNG holds one frame, frame \(index) was asked for") }
        let decoded = try PNGImage.read(path: file, into: &pixels)
        guard decoded.width == width, decoded.height == height else {
            throw FormatError(.wrongShape, file: file, problem: "it is \(decoded.width)×\(decoded.height) pixels, its header said \(width)×\(height) when it was opened (the file changed?)")
        }
    }
}
