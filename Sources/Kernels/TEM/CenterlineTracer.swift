#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a one-pixel skeleton into individual curves.
///
/// Junction pixels (three or more separate runs of neighbours) are grouped into clusters and cut
/// out, leaving simple branches. Short branches with a free end are spurs and go. At each
/// cluster the remaining branch ends are paired by direction — the pair that continues most
/// straight, with the smallest sideways offset, first — so two crossing lines come out as two
/// curves and a dislocation ending on a slip trace leaves the trace whole. Finally free ends
/// that face each other across a small gap (a crossing the ridge filter damped, a noise break)
/// are joined the same way.
public enum CenterlineTracer {
    public struct Options: Sendable, Codable, Equatable {
        /// Skeleton pixels within this Chebyshev distance of a junction belong to its cluster.
        public var junctionRadius = 1
        /// Branches shorter than this (px) with one free end are pruned.
        public var spurLength = 3
        /// Pixels used to estimate the direction at a branch end.
        public var directionSpan = 12
        /// Largest turn (degrees) allowed when continuing through a junction or gap.
        public var maxTurnDegrees = 50.0
        /// Largest sideways offset (px) between the two continuing branches.
        public var maxLateral = 3.0
        /// Largest gap (px) bridged between facing free ends.
        public var gapJoin = 30.0
        /// Curves whose mean responses differ by more than this factor are not bridged (a
        /// dislocation ending next to a faint slip trace must not swallow it).
        public var maxResponseRatio = 1.6
        /// A bridge needs ridge evidence: the mean response along it must reach this fraction of
        /// the weaker curve's (a crossing damps the response, empty background has none). Stops
        /// dislocations of neighbouring slip bands that happen to line up from being joined.
        public var bridgeEvidence = 0.35
        /// ...and this fraction of the bridge's samples must each reach that level: a real
        /// crossing or noise break is weak over a few px, the background between two slip bands
        /// (crossed by their two bright-ish slip traces) is empty over most of the gap; stops
        /// end-to-end merges of dislocations of neighbouring bands (docs/tuning.md).
        public var bridgeSupport = 0.5
        /// At a junction cluster where only two branch ends remain, they are joined when the turn
        /// between them is below this (degrees); larger turns (a dislocation meeting a slip trace
        /// where the trace breaks) leave two curves, never a hairpin through a trace piece
        /// joining two neighbours of a pile-up (docs/tuning.md).
        public var twoEndMaxTurnDegrees = 60.0
        public init() {}
    }

    /// `mask` is 1 on skeleton pixels, 0 elsewhere, with a zero frame border; it is used as
    /// scratch (bit 1 marks junction clusters, bit 2 visited pixels) and left so.
    /// `pixels`, when given, lists the skeleton pixels (saves a scan of the frame); `response`,
    /// when given, is the ridge response used to keep curves of very different contrast apart.
    public static func trace(_ mask: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int,
                             options: Options = Options(), pixels known: [Int]? = nil,
                             response: UnsafeBufferPointer<Float>? = nil,
                             gapTest: ((TEMPoint, TEMPoint) -> Bool)? = nil) -> [[TEMPoint]] {
        let pixels = (known ?? (0..<(width * height)).filter { mask[$0] != 0 }).sorted()
        if pixels.isEmpty { return [] }
        var skeleton = Skeleton(mask: mask, width: width, height: height)
        // 1. Junctions and their clusters; 2. the simple branches between them.
        skeleton.findClusters(pixels, radius: options.junctionRadius)
        let branches = skeleton.walkBranches(pixels)
        let endCluster = branches.flatMap(skeleton.endClusters)
        // 3. Spurs: short branches with exactly one end on a cluster.
        let keep = branches.indices.map { i in
            let attached = (endCluster[2 * i] > 0 ? 1 : 0) + (endCluster[2 * i + 1] > 0 ? 1 : 0)
            return !(attached == 1 && branches[i].count < options.spurLength)
        }
        let pieces: [[TEMPoint]] = branches.map { $0.map { TEMPoint(Double($0 % width), Double($0 / width)) } }
        // 4. Pair branch ends at each cluster; 5. bridge small gaps between facing free ends.
        let partner = pairAtClusters(pieces, keep: keep, endCluster: endCluster, options: options)
        let curves = chain(pieces, keep: keep, partner: partner)
        return bridgeGaps(curves, response: response, width: width, options: options, gapTest: gapTest)
    }

    /// The skeleton being traced: the mask with its scratch bits, and the 8-neighbourhood.
    struct Skeleton {
        let mask: UnsafeMutableBufferPointer<UInt8>
        let width: Int
        let height: Int
        /// Offsets of the 8 neighbours, clockwise from north.
        let ring: [Int]
        /// Cluster label (> 0) of every junction-cluster pixel. Few pixels, so a dictionary;
        /// bit 1 of the mask says "in a cluster" so the hot walks never hash.
        var cluster: [Int: Int32] = [:]

        init(mask: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
            self.mask = mask
            self.width = width
            self.height = height
            ring = [-width, -width + 1, 1, width + 1, width, width - 1, -1, -width - 1]
        }

        @inline(__always) func on(_ i: Int) -> Bool { i >= 0 && i < mask.count && mask[i] & 1 != 0 }
        @inline(__always) func isBranch(_ i: Int) -> Bool { i >= 0 && i < mask.count && mask[i] & 3 == 1 }
        @inline(__always) func visited(_ i: Int) -> Bool { mask[i] & 4 != 0 }

        /// Junctions (three or more separate runs of neighbours), grown by `radius` and labelled
        /// as connected clusters.
        mutating func findClusters(_ pixels: [Int], radius r: Int) {
            var junctions: [Int] = []
            for p in pixels {
                var runs = 0
                for k in 0..<8 where on(p + ring[k]) && !on(p + ring[(k + 7) & 7]) { runs += 1 }
                if runs >= 3 { junctions.append(p) }
            }
            for j in junctions {
                let jx = j % width, jy = j / width
                for dy in -r...r {
                    for dx in -r...r {
                        let x = jx + dx, y = jy + dy
                        guard x >= 0, y >= 0, x < width, y < height, on(y * width + x) else { continue }
                        cluster[y * width + x] = -1
                        mask[y * width + x] |= 2
                    }
                }
            }
            var label: Int32 = 0
            var stack: [Int] = []
            for j in junctions where cluster[j] == -1 {
                label += 1
                cluster[j] = label
                stack.append(j)
                while let p = stack.popLast() {
                    for o in ring where cluster[p + o] == -1 {
                        cluster[p + o] = label
                        stack.append(p + o)
                    }
                }
            }
        }

        /// The simple paths left between clusters: from free ends first, then closed loops.
        func walkBranches(_ pixels: [Int]) -> [[Int]] {
            var branches: [[Int]] = []
            for p in pixels where isBranch(p) && !visited(p) {
                var count = 0
                for o in ring where isBranch(p + o) { count += 1 }
                if count <= 1 { branches.append(walk(from: p)) }
            }
            for p in pixels where isBranch(p) && !visited(p) { branches.append(walk(from: p)) } // loops
            return branches
        }

        func walk(from start: Int) -> [Int] {
            var path = [start]
            mask[start] |= 4
            var cur = start
            while true {
                var next = -1
                for k in [0, 2, 4, 6, 1, 3, 5, 7] { // 4-neighbours first: no skipped elbow pixels
                    let q = cur + ring[k]
                    if isBranch(q) && !visited(q) { next = q; break }
                }
                if next < 0 { break }
                mask[next] |= 4
                path.append(next)
                cur = next
            }
            return path
        }

        /// The clusters at a branch's two ends (0: a free end).
        func endClusters(_ branch: [Int]) -> [Int32] {
            let c0 = clusters(touching: branch[0]), c1 = clusters(touching: branch[branch.count - 1])
            if branch.count == 1 { return [c0.first ?? 0, c0.count > 1 ? c0[1] : 0] }
            return [c0.first ?? 0, c1.first ?? 0]
        }

        func clusters(touching p: Int) -> [Int32] {
            var out: [Int32] = []
            for o in ring {
                if let c = cluster[p + o], c > 0, !out.contains(c) { out.append(c) }
            }
            return out
        }
    }

    /// At each cluster, pairs the branch ends that continue most straight with the smallest
    /// sideways offset (greedy by cost); returns each end's partner end or -1.
    static func pairAtClusters(_ pieces: [[TEMPoint]], keep: [Bool], endCluster: [Int32], options: Options) -> [Int] {
        var partner = [Int](repeating: -1, count: 2 * pieces.count)
        var byCluster: [Int32: [Int]] = [:]
        for e in 0..<(2 * pieces.count) where keep[e / 2] && endCluster[e] > 0 {
            byCluster[endCluster[e], default: []].append(e)
        }
        let ends = pieces.indices.flatMap { [endGeometry(pieces[$0], end: 0, span: options.directionSpan),
                                             endGeometry(pieces[$0], end: 1, span: options.directionSpan)] }
        let cosMax = cos(options.maxTurnDegrees * .pi / 180)
        let cosTwo = cos(options.twoEndMaxTurnDegrees * .pi / 180)
        for (_, list) in byCluster.sorted(by: { $0.key < $1.key }) {
            var candidates: [(cost: Double, a: Int, b: Int)] = []
            for i in 0..<list.count {
                for j in (i + 1)..<max(i + 1, list.count) where list[i] / 2 != list[j] / 2 {
                    let (pa, da) = ends[list[i]], (pb, db) = ends[list[j]]
                    let straight = -(da.x * db.x + da.y * db.y)
                    let lateral = 0.5 * (abs(cross(da, pb - pa)) + abs(cross(db, pa - pb)))
                    let ok = (straight >= cosMax && lateral <= options.maxLateral) || (list.count == 2 && straight >= cosTwo)
                    if ok { candidates.append((10 * (1 - straight) + lateral, list[i], list[j])) }
                }
            }
            for c in candidates.sorted(by: { $0.cost < $1.cost }) where partner[c.a] < 0 && partner[c.b] < 0 {
                partner[c.a] = c.b
                partner[c.b] = c.a
            }
        }
        return partner
    }

    /// Joins facing free ends of different curves across gaps of at most `gapJoin` px, where
    /// the curves have similar contrast and (with a response) the ridge supports the bridge;
    /// `gapTest` (the two end points), when given, must pass too for a gap over 2 px.
    static func bridgeGaps(_ curves: [[TEMPoint]], response: UnsafeBufferPointer<Float>?, width: Int, options: Options,
                           gapTest: ((TEMPoint, TEMPoint) -> Bool)? = nil) -> [[TEMPoint]] {
        let curveEnds = curves.indices.flatMap { [endGeometry(curves[$0], end: 0, span: options.directionSpan),
                                                  endGeometry(curves[$0], end: 1, span: options.directionSpan)] }
        let strength: [Double] = curves.map { c in
            guard let response, !c.isEmpty else { return 1 }
            var sum = 0.0
            for p in c { sum += Double(response[Int(p.y) * width + Int(p.x)]) }
            return max(sum / Double(c.count), 1e-12)
        }
        let cosMax = cos(options.maxTurnDegrees * .pi / 180)
        var gapCandidates: [(cost: Double, a: Int, b: Int)] = []
        let gap2 = options.gapJoin * options.gapJoin
        for a in 0..<curveEnds.count {
            for b in (a + 1)..<max(a + 1, curveEnds.count) where a / 2 != b / 2 {
                let (pa, da) = curveEnds[a], (pb, db) = curveEnds[b]
                let v = pb - pa
                let d2 = v.x * v.x + v.y * v.y
                guard d2 <= gap2 else { continue }
                let straight = -(da.x * db.x + da.y * db.y)
                guard straight >= cosMax else { continue }
                let ratio = strength[a / 2] / strength[b / 2]
                guard ratio <= options.maxResponseRatio && ratio >= 1 / options.maxResponseRatio else { continue }
                let d = d2.squareRoot()
                if let response, d > 2,
                   !bridgeIsSupported(from: pa, along: v, length: d, response: response, width: width,
                                      level: options.bridgeEvidence * min(strength[a / 2], strength[b / 2]), options: options) {
                    continue
                }
                if let gapTest, d > 2, !gapTest(pa, pb) { continue }
                if d > 1.5 {
                    let u = v / d
                    guard da.x * u.x + da.y * u.y >= cosMax, -(db.x * u.x + db.y * u.y) >= cosMax else { continue }
                }
                gapCandidates.append((d + 10 * (1 - straight), a, b))
            }
        }
        guard !gapCandidates.isEmpty else { return curves }
        var gp = [Int](repeating: -1, count: curveEnds.count)
        for c in gapCandidates.sorted(by: { $0.cost < $1.cost }) where gp[c.a] < 0 && gp[c.b] < 0 {
            gp[c.a] = c.b
            gp[c.b] = c.a
        }
        return chain(curves, keep: [Bool](repeating: true, count: curves.count), partner: gp)
    }

    /// Whether the ridge response along the bridge `pa + t·v` reaches `level` on average and
    /// at `bridgeSupport` of its samples.
    static func bridgeIsSupported(from pa: TEMPoint, along v: TEMPoint, length d: Double, response: UnsafeBufferPointer<Float>,
                                  width: Int, level: Double, options: Options) -> Bool {
        let steps = Int(d.rounded(.up))
        var sum = 0.0, supported = 0
        for k in 1..<steps {
            let q = pa + (Double(k) / Double(steps)) * v
            let r = Double(response[Int(q.y.rounded()) * width + Int(q.x.rounded())])
            sum += r
            if r >= level { supported += 1 }
        }
        return sum / Double(steps - 1) >= level && Double(supported) >= options.bridgeSupport * Double(steps - 1)
    }

    @inline(__always) static func cross(_ a: TEMPoint, _ b: TEMPoint) -> Double { a.x * b.y - a.y * b.x }

    /// Position of a piece's end and the unit direction pointing out of the piece there.
    static func endGeometry(_ p: [TEMPoint], end: Int, span: Int) -> (TEMPoint, TEMPoint) {
        let k = min(span, p.count - 1)
        let tip = end == 0 ? p[0] : p[p.count - 1]
        let inner = end == 0 ? p[k] : p[p.count - 1 - k]
        let d = tip - inner
        let n = TEMPolyline.norm(d)
        return (tip, n > 0 ? d / n : .zero)
    }

    /// Concatenates pieces along their end pairings (`partner[2i + e]` is the end paired with
    /// end e of piece i, or −1) into curves; chains that close on themselves are cut once.
    static func chain(_ pieces: [[TEMPoint]], keep: [Bool], partner: [Int]) -> [[TEMPoint]] {
        var used = [Bool](repeating: false, count: pieces.count)
        var out: [[TEMPoint]] = []
        func follow(_ start: Int, enteringEnd: Int) -> [TEMPoint] {
            var pts: [TEMPoint] = []
            var piece = start, enter = enteringEnd
            while true {
                used[piece] = true
                pts.append(contentsOf: enter == 0 ? pieces[piece] : pieces[piece].reversed())
                let leave = 2 * piece + (1 - enter)
                let next = partner[leave]
                if next < 0 || used[next / 2] || !keep[next / 2] { break }
                piece = next / 2
                enter = next % 2
            }
            return pts
        }
        for i in pieces.indices where keep[i] && !used[i] {
            let free0 = partner[2 * i] < 0 || !keep[partner[2 * i] / 2]
            let free1 = partner[2 * i + 1] < 0 || !keep[partner[2 * i + 1] / 2]
            if free0 { out.append(follow(i, enteringEnd: 0)) } else if free1 { out.append(follow(i, enteringEnd: 1)) }
        }
        for i in pieces.indices where keep[i] && !used[i] { out.append(follow(i, enteringEnd: 0)) }
        return out
    }
}
