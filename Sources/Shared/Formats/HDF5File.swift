import CHDF5
import Foundation

/// An open HDF5 file (serial libhdf5). Owns the file handle and closes it on `close()` or when
/// the last reference goes away.
///
/// All methods are safe to call from any thread: libhdf5 access is serialised process-wide
/// (see `HDF5Library`). Dataset paths are absolute (`/entry_1/image_1/data`); a missing leading
/// slash is tolerated.
///
/// libhdf5 keeps one open instance per file and process: a file open read-only cannot be
/// opened for writing at the same time (and vice versa) until every handle to it, including
/// its datasets, is released.
public final class HDF5File: @unchecked Sendable {
    /// Path of the file as given when opening.
    public let path: String
    /// Whether datasets and groups can be created.
    public let isWritable: Bool
    /// The libhdf5 file id; `-1` once closed. Guarded by the HDF5 lock.
    private(set) var id: hid_t

    private init(path: String, id: hid_t, isWritable: Bool) {
        self.path = path
        self.id = id
        self.isWritable = isWritable
    }

    /// Opens an existing file read-only.
    public static func open(path: String) throws -> HDF5File {
        try HDF5Library.locked {
            try checkIsHDF5(path)
            let id = H5Fopen(path, UInt32(slipline_h5f_acc_rdonly()), slipline_h5p_default())
            guard id >= 0 else { throw HDF5Library.error(.unreadable, file: path, problem: "HDF5 open failed") }
            return HDF5File(path: path, id: id, isWritable: false)
        }
    }

    /// Opens an existing file for reading and writing.
    public static func openForWriting(path: String) throws -> HDF5File {
        try HDF5Library.locked {
            try checkIsHDF5(path)
            let id = H5Fopen(path, slipline_h5f_acc_rdwr(), slipline_h5p_default())
            guard id >= 0 else {
                throw HDF5Library.error(
                    .unreadable, .write, file: path, problem: "HDF5 open for writing failed",
                    fix: "check permissions and that no other process holds the file open for writing")
            }
            return HDF5File(path: path, id: id, isWritable: true)
        }
    }

    /// Creates a new file; an existing file at `path` is replaced when `overwrite` is true,
    /// otherwise creation fails.
    public static func create(path: String, overwrite: Bool = true) throws -> HDF5File {
        try HDF5Library.locked {
            let flags = overwrite ? slipline_h5f_acc_trunc() : slipline_h5f_acc_excl()
            let id = H5Fcreate(path, flags, slipline_h5p_default(), slipline_h5p_default())
            guard id >= 0 else {
                throw HDF5Library.error(
                    .writeFailed, .write, file: path, problem: "HDF5 create failed",
                    fix: overwrite ? "check that the directory exists and is writable" : "the file may already exist")
            }
            return HDF5File(path: path, id: id, isWritable: true)
        }
    }

    /// Gives a clean message for the common cases before libhdf5 produces a long error stack.
    private static func checkIsHDF5(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FormatError(.unreadable, file: path, problem: "no such file")
        }
        let status = H5Fis_hdf5(path)
        if status == 0 {
            throw FormatError(.corrupt, file: path, problem: "not an HDF5 file (no HDF5 signature found)")
        } else if status < 0 {
            throw HDF5Library.error(.unreadable, file: path, problem: "cannot open file")
        }
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        try HDF5Library.locked {
            try requireOpen(.write)
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
                throw HDF5Library.error(.writeFailed, .write, file: path, problem: "HDF5 flush failed")
            }
        }
    }

    /// Closes the file; later calls on it throw. Open ``HDF5Dataset``s keep the underlying file
    /// alive until they are released. Calling `close()` twice is harmless.
    public func close() throws {
        try HDF5Library.locked {
            guard id >= 0 else { return }
            let status = H5Fclose(id)
            id = -1
            guard status >= 0 else {
                throw HDF5Library.error(.writeFailed, isWritable ? .write : .read, file: path, problem: "HDF5 close failed")
            }
        }
    }

    deinit {
        HDF5Library.locked {
            if id >= 0 { _ = H5Fclose(id) }
        }
    }

    func requireOpen(_ operation: FormatError.Operation = .read, dataset: String? = nil) throws {
        guard id >= 0 else {
            throw FormatError(.invalidArgument, operation, file: path, dataset: dataset, problem: "file already closed")
        }
    }

    func requireWritable(_ dataset: String) throws {
        guard isWritable else {
            throw FormatError(
                .invalidArgument, .write, file: path, dataset: dataset, problem: "file was opened read-only",
                fix: "open it with HDF5File.openForWriting or HDF5File.create")
        }
    }
}
