import Shared

/// How one run of a task ended, waiting to be recorded.
enum Outcome {
    case succeeded(ClaimedTask, TaskOutput)
    case failed(ClaimedTask, String)
    /// Not run (shutdown): give the lease back without counting the attempt.
    case released(ClaimedTask)
    /// Not run: claimed on a prefetch that later task durations showed was too large. Already
    /// taken off the claim policy's count when it was given back; recorded like `released`.
    case returned(ClaimedTask)
}
