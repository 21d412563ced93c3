/// Reads a video's frames one after another, keeping the last opened file open: a task
/// reading frames 400…599 of a stack opens it once and reads only those frames.
public final class FrameReader {
    private var current: (path: String, stack: any FrameStack)?

    public init() {}

    /// The stack at `path`, opened once.
    public func stack(_ path: String) throws -> any FrameStack {
        if let current, current.path == path { return current.stack }
        current = nil  // close the previous file first
        let stack = try FrameStackFormat.open(path: path)
        current = (path, stack)
        return stack
    }

    /// Decodes the frame `reference` names, its file resolved to `path` (the caller's input
    /// guard), into `pixels`; returns the frame's size.
    public func read(_ reference: FrameReference, path: String, into pixels: inout [Float]) throws -> (width: Int, height: Int) {
        let stack = try stack(path)
        if reference.index == nil, stack.frameCount != 1 {
            throw FormatError(.wrongShape, file: path, problem: "it holds \(stack.frameCount) frames where one was expected (the file changed after planning?)")
        }
        try stack.readFrame(reference.index ?? 0, into: &pixels)
        return (stack.width, stack.height)
    }
}
