/// Slip-trace pieces hooked onto a line in the temporal mean's added parts
/// (`TEMDetectorConfig.temporalDropStraightParts`; issue 11 item 5; docs/tem.md, "Ghosts and
/// hooked trace pieces in the mean's added parts").
///
/// The mean clears a static slip trace of its noise as it does a line. Its curve can follow a
/// line to its end and carry on along a trace crossing it; the part it adds is then mostly one
/// straight stretch with a hook, too curved as a whole for the straight-part drop
/// (`temporalDropStraight`). `video21`'s reading (`ExtraStraightParts`) applied to the added
/// part: straight is measured against the frame's own scatter about short chords.
public enum TEMTemporalStraightParts {
    /// The frame's straight tolerance: the `quantile` of the RMS of its curves (points about 1 px
    /// apart) about their own `window`-point chords (`ExtraStraightParts.windowScatter`); nil when
    /// no curve is long enough to measure it.
    public static func tolerance(_ curves: [[TEMPoint]], window: Int, quantile: Double) -> Double? {
        ExtraStraightParts.tolerance(ExtraStraightParts.windowScatter(curves, window: window), quantile: quantile)
    }

    /// Whether the added part `run` (points about 1 px apart) is a straight trace piece: its
    /// longest run with RMS distance to its own line at most `tolerance` is at least half of its
    /// points and at least `minLength` points.
    public static func isTracePiece(_ run: [TEMPoint], tolerance: Double, minLength: Double) -> Bool {
        let atLeast = max(Int(minLength.rounded(.up)), (run.count + 1) / 2)
        return !ExtraStraightParts.longestStraightRun(run[...], tolerance: tolerance, atLeast: atLeast).isEmpty
    }
}
