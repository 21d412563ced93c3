/// An error a task throws for work it cannot do (bad payload, unreadable input, a file it may
/// not write): the message is recorded on the task and shown by `ctl status`.
public struct TaskError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
