import Foundation
import Shared

/// What one `tem` shard task analyses: a contiguous range of frames.
public struct TEMTaskPayload: Codable, Sendable, Equatable {
    /// `frame_index` of `files[0]`.
    public var firstFrame: Int
    /// The frames, in order: absolute paths of one-frame files, `FILE#N` for frame N of a
    /// multi-frame file (`FrameReference`).
    public var files: [String]
    /// The frame size every frame had when the job was planned.
    public var width: Int
    public var height: Int
    /// Calibration from the files' metadata for what the job's params left unset.
    public var metadata: FrameMetadata?
    /// The video's frame 0 (a file or `FILE#N`), against which every frame's stage drift is
    /// measured (nil: the shard's own first frame, as in payloads planned before registration).
    public var referenceFile: String?

    public init(firstFrame: Int, files: [String], width: Int, height: Int, metadata: FrameMetadata? = nil,
                referenceFile: String? = nil) {
        self.firstFrame = firstFrame
        self.files = files
        self.width = width
        self.height = height
        self.metadata = metadata
        self.referenceFile = referenceFile
    }

    enum CodingKeys: String, CodingKey {
        case firstFrame = "first_frame", files, width, height, metadata, referenceFile = "reference_file"
    }
}

/// What the `tem.merge` task needs to know.
public struct TEMMergePayload: Codable, Sendable, Equatable {
    /// Frames in the video (the planner's count).
    public var frames: Int
    /// Calibration from the files' metadata for what the job's params left unset.
    public var metadata: FrameMetadata?
    public init(frames: Int, metadata: FrameMetadata? = nil) {
        self.frames = frames
        self.metadata = metadata
    }
}

/// What a `tem` shard hands its merge.
public struct TEMShardOutput: Codable, Sendable, Equatable {
    /// The frames of its range with their curves (`TEMCurvesFile`).
    public var curvesFile: String
    public var frames: Int
    public var dislocations: Int

    public init(curvesFile: String, frames: Int, dislocations: Int) {
        self.curvesFile = curvesFile
        self.frames = frames
        self.dislocations = dislocations
    }

    enum CodingKeys: String, CodingKey {
        case curvesFile = "curves_file", frames, dislocations
    }
}

/// Files of a tem job, fixed by the output directory and frame range so a re-run overwrites.
enum TEMPaths {
    static func curves(_ output: OutputDirectory, firstFrame: Int, count: Int) -> String {
        output.file(String(format: "tem/curves/frames-%08d-%08d.bin", firstFrame, firstFrame + count - 1))
    }
}
