import Foundation
import Kernels
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
    /// Frames in the whole video (nil in payloads planned before partial merges): a partial
    /// merge picks its overlay frames and thins its plot series against it.
    public var videoFrames: Int?

    public init(firstFrame: Int, files: [String], width: Int, height: Int, metadata: FrameMetadata? = nil,
                referenceFile: String? = nil, videoFrames: Int? = nil) {
        self.firstFrame = firstFrame
        self.files = files
        self.width = width
        self.height = height
        self.metadata = metadata
        self.referenceFile = referenceFile
        self.videoFrames = videoFrames
    }

    enum CodingKeys: String, CodingKey {
        case firstFrame = "first_frame", files, width, height, metadata, referenceFile = "reference_file",
             videoFrames = "video_frames"
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

/// What a `tem` partial merge hands the final merge: summaries of the tracklets of its frame
/// range (not its curves), the curves of the overlay frames in it, and counts.
public struct TEMPartialOutput: Codable, Sendable, Equatable {
    public var firstFrame: Int
    public var analysedFrames: Int
    public var dislocations: Int
    public var salvagedFrames: Int
    public var tracklets: [TEMTrackletSummary]
    public var overlays: [TEMOverlayFrame]

    public init(firstFrame: Int, analysedFrames: Int, dislocations: Int, salvagedFrames: Int,
                tracklets: [TEMTrackletSummary], overlays: [TEMOverlayFrame]) {
        self.firstFrame = firstFrame
        self.analysedFrames = analysedFrames
        self.dislocations = dislocations
        self.salvagedFrames = salvagedFrames
        self.tracklets = tracklets
        self.overlays = overlays
    }
}

/// A tracklet as the final merge sees it: what linking needs (`TEMTracklet`, specimen
/// coordinates) and what a track's row and plot need (image coordinates).
public struct TEMTrackletSummary: Codable, Sendable, Equatable {
    public var tracklet: TEMTracklet
    /// Sums over its frames: centroid speed (px/frame), curve length (px), centroid path (px).
    public var speedSum: Double
    public var lengthSum: Double
    public var pathLength: Double
    public var firstCentroid: TEMPoint
    public var lastCentroid: TEMPoint
    /// Sum of its curves' chords, oriented alike (the plot's glide axis).
    public var chord: TEMPoint
    /// Centroid and pair distance per frame, thinned to about 2000 points over the video.
    public var series: [TEMSeriesPoint]
}

/// One frame of a tracklet for the plot.
public struct TEMSeriesPoint: Codable, Sendable, Equatable {
    public var frame: Int
    public var centroid: TEMPoint
    public var pairDistance: Double?
}

/// An overlay frame's curves (image coordinates) and each curve's tracklet id (nil: untracked).
public struct TEMOverlayFrame: Codable, Sendable, Equatable {
    public var index: Int
    public var file: String
    public var curves: [[TEMPoint]]
    public var tracklets: [Int64?]
}

/// Files of a tem job, fixed by the output directory and frame range so a re-run overwrites.
enum TEMPaths {
    static func curves(_ output: OutputDirectory, firstFrame: Int, count: Int) -> String {
        output.file(String(format: "tem/curves/frames-%08d-%08d.bin", firstFrame, firstFrame + count - 1))
    }
}
