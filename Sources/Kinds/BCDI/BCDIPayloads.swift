import Foundation
import Shared

/// The payload of a `bcdi` shard task: one z-slab (or all) of one volume. Written by the
/// planner, read by the worker and, through the tasks table, by the merge.
public struct BCDITaskPayload: Codable, Sendable, Equatable {
    /// Position of the volume in the series (natural sort of file names), from 0.
    public var volumeIndex: Int
    /// Absolute path of the volume file.
    public var file: String
    /// The dataset inside an HDF5 file as given by `--param dataset=` (nil: the defaults).
    public var dataset: String?
    /// `[nz, ny, nx]` (empty when the header could not be read).
    public var shape: [Int]
    /// Output planes of this slab, `z0..<z1`.
    public var z0: Int
    public var z1: Int
    /// Where this task writes its slab (Ψ, phase and support of planes z0..<z1).
    public var slabFile: String
    /// Set when planning found the file unusable: the task fails with this message, so that
    /// one bad file of a series fails only its own task.
    public var error: String?
    /// Position of this reconstruction in its time step's ensemble (a directory per step);
    /// nil in a plain series.
    public var member: Int?

    public init(volumeIndex: Int, file: String, dataset: String?, shape: [Int], z0: Int, z1: Int, slabFile: String, error: String? = nil, member: Int? = nil) {
        self.volumeIndex = volumeIndex
        self.file = file
        self.dataset = dataset
        self.shape = shape
        self.z0 = z0
        self.z1 = z1
        self.slabFile = slabFile
        self.error = error
        self.member = member
    }

    enum CodingKeys: String, CodingKey {
        case volumeIndex = "volume_index", file, dataset, shape, z0, z1, slabFile = "slab_file", error, member
    }
}

/// What a `bcdi` shard hands its merge.
public struct BCDIShardOutput: Codable, Sendable, Equatable {
    /// Ψ, phase and support of the shard's planes (`BCDISlabComputation`).
    public var slabFile: String

    public init(slabFile: String) {
        self.slabFile = slabFile
    }

    enum CodingKeys: String, CodingKey {
        case slabFile = "slab_file"
    }
}

/// Output file names of a bcdi job, fixed by job output directory and volume index so that a
/// re-run overwrites rather than adds.
public enum BCDIPaths {
    public static func slab(_ outputDirectory: String, volume: Int, member: Int? = nil, z0: Int, z1: Int) -> String {
        "\(outputDirectory)/bcdi/slabs/\(stem(volume, member)).z\(pad(z0))-\(pad(z1)).h5"
    }
    /// What the slabs of one volume share (support, ramp), cached by the first slab task.
    public static func context(_ outputDirectory: String, volume: Int, member: Int? = nil) -> String {
        "\(outputDirectory)/bcdi/slabs/\(stem(volume, member)).context.h5"
    }
    /// Ψ of one volume (of one member of an ensemble when `member` is given).
    public static func psi(_ outputDirectory: String, volume: Int, member: Int? = nil) -> String {
        "\(outputDirectory)/bcdi/\(stem(volume, member)).psi.h5"
    }
    public static func png(_ outputDirectory: String, volume: Int) -> String {
        "\(outputDirectory)/bcdi/vol-\(pad(volume)).lines.png"
    }
    public static func vtk(_ outputDirectory: String, volume: Int) -> String {
        "\(outputDirectory)/bcdi/vol-\(pad(volume)).lines.vtk"
    }
    /// `vol-NNNN`, or `vol-NNNN.mNNNN` for a member of an ensemble.
    static func stem(_ volume: Int, _ member: Int?) -> String {
        "vol-\(pad(volume))" + (member.map { ".m\(pad($0))" } ?? "")
    }
    static func pad(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
    }
}
