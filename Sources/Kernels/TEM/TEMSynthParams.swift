#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Difficulty presets of the synthetic TEM videos.
public enum TEMDifficulty: String, Codable, Sendable, CaseIterable {
    /// 256×256, one pile-up of 1–3 well-separated, high-contrast dislocations.
    case easy
    /// 512×512, two pile-ups of 2–5 dislocations, moderate contrast and noise.
    case medium
    /// 512×512, three pile-ups of 4–8 on two crossing slip systems, close pairs, low contrast.
    case hard
}

/// Every parameter of one synthetic video: with the seed it reproduces the video exactly, and it
/// is what `ctl synth tem` writes as JSON next to the frames (the paper's §2.3 "record all used
/// parameters as well as the seed values").
public struct TEMSynthParams: Codable, Sendable, Equatable {
    /// The seed everything below was drawn from, and the seed of the per-frame noise and motion.
    public var seed: UInt64
    public var difficulty: TEMDifficulty
    public var width: Int
    public var height: Int
    public var frames: Int
    public var background: Background
    /// Standard deviation of Gaussian noise added after drawing the lines (not in the paper, whose
    /// lines are drawn noise-free on top; real frames have noise on the lines too).
    public var postNoise: Double
    public var pileups: [Pileup]
    /// Line style, specimen clutter, stage motion and camera effects of a randomised video
    /// (`randomized`); nil for the presets.
    public var nuisance: TEMNuisance?

    /// The paper's background model (Table 1); `floor` maps the clipped [0, 1] background into
    /// [floor, 1] so that a dark line always has room to be darker than its surroundings.
    public struct Background: Codable, Sendable, Equatable {
        public var lambda1: Double
        public var lambda2: Double
        public var wPerlin: Double
        public var wWhite: Double
        public var s1: Double
        public var s2: Double
        public var floor: Double
    }

    /// One pile-up on its own slip band: two faint straight slip traces parallel to the slip
    /// direction α, `slipWidth` apart, and dislocations spanning the band from trace to trace.
    public struct Pileup: Codable, Sendable, Equatable {
        /// Slip direction, degrees from the +x axis towards +y.
        public var angleDegrees: Double
        /// Δd: distance between the two slip traces, px.
        public var slipWidth: Double
        /// A point on the band's centre line, `[x, y]`.
        public var centre: TEMPoint
        public var traceContrast: Double
        public var traceWidth: Double
        public var dislocations: [Dislocation]
        public var motion: Motion
    }

    /// A dislocation: a cubic spline through support points at equally spaced positions across
    /// the band, each displaced along the slip direction by `supportOffsets[k]` px.
    public struct Dislocation: Codable, Sendable, Equatable {
        public var id: Int
        public var supportOffsets: [Double]
        /// Initial position along the slip direction, px from the band centre.
        public var start: Double
        /// Minimum centre-to-centre distance to the dislocation ahead of it in the pile-up.
        public var minGap: Double
        /// When true this dislocation is locked to the one ahead (a close pair): same steps.
        public var pairedWithPrevious: Bool
        /// How much darker than the background the line is (subtracted intensity).
        public var contrast: Double
        /// Line width, px.
        public var width: Double
        /// Set on a dislocation emitted by a source: the time step from which it may appear at
        /// the source (`start`); it then glides out of the field and is gone.
        public var emitFrame: Int?
    }

    /// Jerky glide: each dislocation is pinned or free (a two-state Markov chain per frame); a free
    /// one advances `stepMin…stepMax` px; the pile-up reverses direction at its end of the band.
    public struct Motion: Codable, Sendable, Equatable {
        public var pDepin: Double
        public var pPin: Double
        public var stepMin: Double
        public var stepMax: Double
        /// Positions along the slip direction allowed for every dislocation (keeps lines in frame).
        public var lower: Double
        public var upper: Double
        /// Set for a pile-up fed by a source at `lower`: its dislocations only glide forwards and
        /// are gone past this position (wholly outside the frame).
        public var exit: Double?
    }
}
