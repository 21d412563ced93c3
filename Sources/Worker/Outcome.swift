import Shared

/// How one run of a task ended, waiting to be recorded.
enum Outcome {
    case succeeded(ClaimedTask, TaskOutput)
    case failed(ClaimedTask, String)
    /// Not run (shutdown): give the lease back without counting the attempt.
    case released(ClaimedTask)
}
