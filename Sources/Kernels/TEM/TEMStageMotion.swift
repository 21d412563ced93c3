/// What the camera records in each frame of a video with stage motion and an unsteady frame
/// clock: the physical time step shown, the frame whose pixels are shown (a repeated frame shows
/// its predecessor's) and the stage drift. A pure function of the nuisance and a seed.
public struct TEMStageMotion: Sendable, Equatable {
    /// `time[f]`: the physical time step frame f shows (steps skip where frames were dropped).
    public let time: [Int]
    /// `source[f]`: the frame whose image frame f repeats (f itself when not repeated).
    public let source: [Int]
    /// `drift[f]`: the specimen's shift in the image at frame f, px, relative to frame 0.
    public let drift: [TEMPoint]

    /// Identity clock and no drift (the presets).
    public init(frames: Int) {
        time = Array(0..<frames)
        source = Array(0..<frames)
        drift = [TEMPoint](repeating: .zero, count: frames)
    }

    public init(frames: Int, nuisance n: TEMNuisance, rng: inout SeededRandom) {
        var time = [Int](), source = [Int](), drift = [TEMPoint]()
        time.reserveCapacity(frames); source.reserveCapacity(frames); drift.reserveCapacity(frames)
        var t = 0, d = TEMPoint.zero, v = n.driftVelocity
        for f in 0..<frames {
            if f > 0 && rng.unit() < n.pRepeat {
                time.append(time[f - 1]); source.append(source[f - 1]); drift.append(drift[f - 1])
                continue
            }
            if f > 0 {
                var skipped = 1
                while rng.unit() < n.pDrop && skipped < 4 { skipped += 1 }
                t += skipped
                for _ in 0..<skipped {
                    var step = v + n.jitter * TEMPoint(rng.gaussian(), rng.gaussian())
                    // A jolt of more than 5 px per frame is outside the plausible range.
                    let len = (step * step).sum().squareRoot()
                    if len > 5 { step *= 5 / len }
                    d += step
                    // The operator re-centres: the drift turns back at the bound.
                    for k in 0..<2 where abs(d[k]) > n.driftBound {
                        d[k] = d[k] > 0 ? n.driftBound : -n.driftBound
                        v[k] = -v[k]
                    }
                }
            }
            time.append(t); source.append(f); drift.append(d)
        }
        self.time = time
        self.source = source
        self.drift = drift
    }
}
