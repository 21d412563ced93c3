import Shared

/// Cleans a job's output directory after its merge step.
///
/// A worker killed while writing a file leaves its temporary (`.NAME.tmp-PID-RANDOM`) beside
/// the real file; the re-run of the task writes the file again, so the temporary is garbage.
/// The merge runs once every shard is finished, which makes it the place to remove them.
enum OutputHousekeeping {
    /// Temporaries unmodified this long belong to dead writers (a live writer keeps writing;
    /// ten minutes also outlasts a stalled NFS write on another node).
    static let staleAfterSeconds = 600.0

    static func removeStaleTemporaries(_ params: JobParams, task: ClaimedTask, context: TaskContext) {
        guard let output = params.values["output_dir"], !output.isEmpty else { return }
        let removed = AtomicFile.removeStaleTemporaries(under: output, minimumAge: staleAfterSeconds)
        if !removed.isEmpty {
            context.logger.notice("removed temporary files left by killed writers", metadata: [
                "job.id": "\(task.jobId)", "files.count": "\(removed.count)"])
        }
    }
}
