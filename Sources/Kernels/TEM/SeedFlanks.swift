/// Extra hysteresis seeds that are the flank of a line of the other polarity
/// (`TEMDetectorConfig.seedFlankReach`). Beside a bright line the dark-line filter sees a ridge
/// on each side (the foot of the bright peak curves upwards), and averaged along the line these
/// flanks pass the seed level; the bright-line filter at the same place sees the line itself,
/// higher. A seed is the other polarity's flank when that polarity's averaged response within
/// `reach` pixels across the line is at least the seed's own: the stronger polarity owns the place.
public enum SeedFlanks {
    /// Lowers below `seedHigh` every pixel of `seeds` that is an extra seed (≥ `seedHigh` there,
    /// < `high` on the plain `response`, which seeds on its own) and is a flank: `opposite`
    /// (the other polarity's map, averaged alike) ≥ its seed value at the pixel or at up to
    /// `reach` steps either way along its quantised normal (`RidgeFilter.apply`'s codes).
    /// Returns how many seeds were dropped.
    @discardableResult
    public static func suppress(seeds: UnsafeMutableBufferPointer<Float>, opposite: UnsafeBufferPointer<Float>,
                                response: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                                width w: Int, height h: Int, seedHigh: Float, high: Float, reach: Int) -> Int {
        let n = w * h
        precondition(seeds.count >= n && opposite.count >= n && response.count >= n && normal.count >= n && reach >= 0)
        // Normal steps per code 0…3 (x, (1, 1), y, (1, −1)) as (dx, dy).
        let steps = [(1, 0), (1, 1), (0, 1), (1, -1)]
        var dropped = 0
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let s = seeds[i]
                guard s >= seedHigh, response[i] < high else { continue }
                let (dx, dy) = steps[Int(normal[i])]
                var flank = opposite[i] >= s
                var k = 1
                while !flank && k <= reach {
                    for sgn in [-1, 1] {
                        let xx = x + sgn * k * dx, yy = y + sgn * k * dy
                        if xx >= 0, yy >= 0, xx < w, yy < h, opposite[yy * w + xx] >= s { flank = true }
                    }
                    k += 1
                }
                if flank {
                    // Just below the level: still a value, no longer a seed.
                    seeds[i] = seedHigh.nextDown
                    dropped += 1
                }
            }
        }
        return dropped
    }
}
