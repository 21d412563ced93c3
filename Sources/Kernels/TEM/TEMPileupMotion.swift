/// Jerky glide of one pile-up, one physical time step at a time: each dislocation pinned or free
/// (a two-state Markov chain), free ones advancing `stepMin…stepMax` px, none closer than its
/// `minGap` to the one ahead. A closed band's pile-up reverses at the band's end (so long videos
/// keep moving); a source-fed band (`motion.exit` set) emits its dislocations at `lower` and lets
/// them glide out of the field.
struct TEMPileupMotion {
    let pile: TEMSynthParams.Pileup
    /// Positions along the slip direction, px from the band centre.
    private(set) var position: [Double]
    /// Whether each dislocation is in the band now (always, unless source-fed).
    private(set) var present: [Bool]
    private var free: [Bool]
    private var gone: [Bool]
    private var direction = 1.0
    private var blocked = 0
    private var time = 0
    private var rng: SeededRandom

    init(pile: TEMSynthParams.Pileup, rng: SeededRandom) {
        self.pile = pile
        self.rng = rng
        position = pile.dislocations.map(\.start)
        let fed = pile.motion.exit != nil
        // A fed band starts empty but for a first dislocation due at once.
        let due = pile.dislocations.map { !fed || ($0.emitFrame ?? 0) <= 0 }
        present = due.indices.map { !fed ? due[$0] : $0 == 0 && due[0] }
        free = [Bool](repeating: false, count: pile.dislocations.count)
        gone = [Bool](repeating: false, count: pile.dislocations.count)
    }

    /// Moves every dislocation on by one time step.
    mutating func advance() {
        time += 1
        if pile.motion.exit != nil { advanceFed(); return }
        let ds = pile.dislocations, m = pile.motion
        var step = [Double](repeating: 0, count: ds.count)
        for i in ds.indices {
            free[i] = free[i] ? rng.unit() >= m.pPin : rng.unit() < m.pDepin
            step[i] = free[i] ? rng.uniform(m.stepMin...m.stepMax) : 0
            if ds[i].pairedWithPrevious { step[i] = step[i - 1] }
        }
        var s = position
        if direction > 0 {
            for i in ds.indices {
                var x = min(s[i] + step[i], m.upper)
                if i > 0 { x = min(x, s[i - 1] - ds[i].minGap) }
                if ds[i].pairedWithPrevious { x = s[i - 1] - ds[i].minGap }
                s[i] = max(x, m.lower)
            }
        } else {
            for i in ds.indices.reversed() {
                var x = max(s[i] - step[i], m.lower)
                if i + 1 < ds.count { x = max(x, s[i + 1] + ds[i + 1].minGap) }
                s[i] = min(x, m.upper)
            }
            for i in ds.indices where ds[i].pairedWithPrevious { s[i] = s[i - 1] - ds[i].minGap }
        }
        // The pile-up runs into an obstacle at the end of the band and, after a while, the load
        // reverses.
        let atEnd = direction > 0 ? s[0] >= m.upper - 0.01 : s[ds.count - 1] <= m.lower + 0.01
        blocked = atEnd ? blocked + 1 : 0
        if blocked > 20 || rng.unit() < 0.002 { direction = -direction; blocked = 0 }
        position = s
    }

    /// Source-fed glide: forwards only; the next dislocation is emitted once its time has come
    /// and the previous one has moved its gap away from the source; past `exit` one is gone.
    private mutating func advanceFed() {
        let ds = pile.dislocations, m = pile.motion
        let exit = m.exit ?? .infinity
        var ahead: Double? = nil
        for i in ds.indices {
            if gone[i] { ahead = nil; continue }
            if !present[i] {
                let due = (ds[i].emitFrame ?? 0) <= time
                let room = ahead.map { $0 - ds[i].minGap >= m.lower } ?? true
                if due && room && (i == 0 || present[i - 1] || gone[i - 1]) {
                    present[i] = true
                    position[i] = m.lower
                    free[i] = false
                }
                break
            }
            free[i] = free[i] ? rng.unit() >= m.pPin : rng.unit() < m.pDepin
            var x = position[i] + (free[i] ? rng.uniform(m.stepMin...m.stepMax) : 0)
            if let a = ahead { x = min(x, a - ds[i].minGap) }
            position[i] = max(position[i], x)
            if position[i] > exit { gone[i] = true; present[i] = false; ahead = nil } else { ahead = position[i] }
        }
    }
}
