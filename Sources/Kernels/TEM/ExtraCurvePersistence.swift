/// Curves of the extra seeds kept only where a curve lay in the previous frame
/// (`TEMDetectorConfig.extraCurvePersistence`). `SeedPersistence` asks it of the extra seeds'
/// pixel groups, and a slip trace or a band edge passes there: it is in every frame, so its level
/// set persists. What does not persist is the *curve* the tracer draws along it: such a piece sits
/// at the seed level's margin, so it is traced in a frame here and a frame there, at a new length
/// and with a new hook into the texture or a junction each time (docs/tem.md, "Extra curves that
/// persist": 34 of `video13`'s 35 false curves on medium draws 5, 6, 13, 22 and 37 had no curve at
/// their place in the frame before). A line is traced where it was — but a faint one is itself
/// traced in scattered frames, which is what the rule costs.
///
/// The test reads what the two frames give: the shift between them and the reach (the level
/// sets' 90th-percentile scatter after that shift) are `SeedPersistence`'s, measured on the same
/// frames; a curve persists when most of its points (the majority `seedStraightTraces` asks of
/// a path's extra pixels) lie within the reach of a candidate curve of the previous frame — every
/// curve the frame's other rules kept, this rule's refusals included, so a faint line seen by
/// the extra seeds alone starts in its second frame.
public struct ExtraCurvePersistence: Sendable {
    /// The previous frame's candidate curves, rasterised at 1 px (1 on their pixels), and the
    /// pixels set (cleared one by one instead of the whole frame).
    private var previous: [UInt8] = []
    private var marked: [Int] = []
    private var previousSize = (width: 0, height: 0)
    private var previousPolarity: Bool?

    public init() {}

    /// Forgets the previous frame (no extra curve persists in the next).
    public mutating func reset() {
        for i in marked { previous[i] = 0 }
        marked.removeAll(keepingCapacity: true)
        previousPolarity = nil
    }

    /// Whether most of `points` (a curve, resampled at 1 px here) lie within `reach` px
    /// (Chebyshev) of the previous frame's candidate pixels after `shift` (previous → current).
    /// False without a previous frame of the same size and polarity.
    public func persists(_ points: [TEMPoint], shift: (dx: Int, dy: Int), reach: Int,
                         width w: Int, height h: Int, bright: Bool) -> Bool {
        guard previousPolarity == bright, previousSize == (w, h), !marked.isEmpty else { return false }
        let pts = TEMPolyline.resample(points, spacing: 1)
        guard !pts.isEmpty else { return false }
        let r = max(1, reach)
        var hits = 0
        previous.withUnsafeBufferPointer { prev in
            for p in pts {
                let x = Int(p.x.rounded()) - shift.dx, y = Int(p.y.rounded()) - shift.dy
                let x0 = max(0, x - r), x1 = min(w - 1, x + r), y0 = max(0, y - r), y1 = min(h - 1, y + r)
                guard x0 <= x1, y0 <= y1 else { continue }
                search: for yy in y0...y1 {
                    let row = yy * w
                    for xx in x0...x1 where prev[row + xx] != 0 { hits += 1; break search }
                }
            }
        }
        return 2 * hits > pts.count
    }

    /// `curves` (the frame's candidates) become the previous frame.
    public mutating func remember(_ curves: [[TEMPoint]], width w: Int, height h: Int, bright: Bool) {
        if previous.count != w * h {
            previous = [UInt8](repeating: 0, count: w * h)
            marked.removeAll(keepingCapacity: true)
        } else {
            for i in marked { previous[i] = 0 }
            marked.removeAll(keepingCapacity: true)
        }
        for c in curves {
            for p in TEMPolyline.resample(c, spacing: 1) {
                let x = Int(p.x.rounded()), y = Int(p.y.rounded())
                guard x >= 0, y >= 0, x < w, y < h, previous[y * w + x] == 0 else { continue }
                previous[y * w + x] = 1
                marked.append(y * w + x)
            }
        }
        previousSize = (w, h)
        previousPolarity = bright
    }
}
