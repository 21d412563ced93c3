import Foundation

/// The fuzz input as a file (the readers take paths and memory-map them): one file per
/// process and extension in /dev/shm (tmpfs), rewritten for every input.
enum FuzzFile {
    static func write(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> String {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(dir)/slipline-fuzz-\(getpid())-\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write \(path)")
        var done = 0
        while done < size {
            let n = Glibc.write(fd, data + done, size - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }
}
