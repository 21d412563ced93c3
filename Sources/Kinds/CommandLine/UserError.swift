/// A failure worth a one-line message and a non-zero exit, without a stack of Swift noise.
public struct UserError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
