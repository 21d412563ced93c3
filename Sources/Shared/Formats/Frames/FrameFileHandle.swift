#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for positioned reads (`pread`): readers fetch a header or one frame's bytes
/// at a time, so memory stays bounded by a frame whatever the file's size. Short files are
/// errors naming the file, the offset and what was expected.
final class FrameFileHandle {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FormatError(.unreadable, file: path, problem: String(cString: strerror(errno)),
                              fix: "check that the file exists and is readable")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw FormatError(.unreadable, file: path, problem: "not a regular file")
        }
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Reads exactly `count` bytes at `offset` into `buffer` (which must hold them); `what`
    /// names the part being read in the error of a file that ends early.
    func read(at offset: Int, count: Int, into buffer: UnsafeMutableRawPointer, what: String) throws {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw FormatError(.truncated, file: path,
                              problem: "the file ends at byte \(size) but its \(what) needs bytes \(offset)…\(offset &+ count)",
                              fix: "the file is incomplete (copy interrupted?); copy it again")
        }
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError(.unreadable, file: path, problem: "read error at byte \(offset + done): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw FormatError(.truncated, file: path, problem: "the file ended while reading its \(what) at byte \(offset + done)")
            }
            done += n
        }
    }

    /// `count` bytes at `offset`, as an array (headers and small records).
    func bytes(at offset: Int, count: Int, what: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try read(at: offset, count: count, into: $0.baseAddress!, what: what) }
        return out
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func prefix(at offset: Int = 0, count: Int) throws -> [UInt8] {
        let n = max(0, min(count, size - offset))
        return n == 0 ? [] : try bytes(at: offset, count: n, what: "header")
    }
}
