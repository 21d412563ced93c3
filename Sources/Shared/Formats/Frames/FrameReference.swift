import Foundation

/// One frame of a video: a file, and for a multi-frame file the frame inside it. Its text is
/// the `frame_file` of the results: the path for a one-frame file, `FILE#N` (N from 0) for a
/// frame of a stack.
public struct FrameReference: Sendable, Equatable, Hashable {
    public var path: String
    /// Frame inside `path`; nil for a one-frame file.
    public var index: Int?

    public init(path: String, index: Int? = nil) {
        self.path = path
        self.index = index
    }

    /// `path` or `path#index`.
    public var text: String { index.map { "\(path)#\($0)" } ?? path }

    /// Parses `text`: a trailing `#N` is a frame number unless the whole text names an
    /// existing file (a frame file whose name itself ends in `#N`).
    public init(parsing text: String) {
        if let hash = text.lastIndex(of: "#"), !FileManager.default.fileExists(atPath: text) {
            let digits = text[text.index(after: hash)...]
            if !digits.isEmpty, digits.count <= 12, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 0 {
                self.init(path: String(text[..<hash]), index: n)
                return
            }
        }
        self.init(path: text, index: nil)
    }
}
