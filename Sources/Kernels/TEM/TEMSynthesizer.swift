#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One dislocation's ground truth in one frame.
public struct TEMTruthDislocation: Codable, Sendable, Equatable {
    /// Identity, stable over the whole video.
    public var id: Int
    /// Index of its pile-up in `TEMSynthParams.pileups`.
    public var pileup: Int
    /// Centreline, `[x, y]` px, about 1 px between points.
    public var points: [TEMPoint]

    public init(id: Int, pileup: Int, points: [TEMPoint]) {
        self.id = id
        self.pileup = pileup
        self.points = points
    }
}

/// The paper's synthetic TEM image model plus motion. Construction simulates the motion and
/// builds the truth for every frame (cheap); `frame(_:)` renders one frame on demand so a
/// 10,000-frame video never has to sit in memory. Everything is a pure function of `params`.
public struct TEMSynthesizer: Sendable {
    public let params: TEMSynthParams
    /// `truth[f]`: every dislocation visible in frame f, by id.
    public let truth: [[TEMTruthDislocation]]
    /// The two slip traces of every pile-up, as segments clipped to the frame.
    public let slipTraces: [[TEMPoint]]
    /// The camera's view of each frame: time step shown, repeated frames, stage drift.
    public let stage: TEMStageMotion
    /// The static Perlin background P3, scaled to [0, 1], `perlinMargin` px larger than the frame
    /// on every side (0 without drift).
    let perlin: [Float]
    let perlinMargin: Int
    /// Per-pixel camera gain (fixed pattern) of a randomised video; empty for the presets.
    let fixedGain: [Float]

    public init(params: TEMSynthParams) {
        self.params = params
        let w = params.width, h = params.height
        var rng = SeededRandom(seed: params.seed).derived(1)
        // A drifting stage shows other parts of the specimen: the background is drawn larger by
        // the drift bound on every side and sampled at the shift.
        let margin = params.nuisance.map { Int($0.driftBound.rounded(.up)) + 2 } ?? 0
        let pw = w + 2 * margin, ph = h + 2 * margin
        let p1 = PerlinNoise.field(width: pw, height: ph, wavelength: params.background.lambda1, rng: &rng)
        let p2 = PerlinNoise.field(width: pw, height: ph, wavelength: params.background.lambda2, rng: &rng)
        var p = zip(p1, p2).map { $0 + Float(params.background.wPerlin) * $1 }
        let lo = p.min() ?? 0, hi = p.max() ?? 1
        let scale = hi > lo ? 1 / (hi - lo) : 0
        for i in p.indices { p[i] = (p[i] - lo) * scale }
        perlin = p
        perlinMargin = margin
        if let n = params.nuisance {
            var srng = SeededRandom(seed: params.seed).derived(2)
            stage = TEMStageMotion(frames: params.frames, nuisance: n, rng: &srng)
            fixedGain = (0..<(w * h)).map { _ in Float(1 + n.fixedPattern * srng.gaussian()) }
        } else {
            stage = TEMStageMotion(frames: params.frames)
            fixedGain = []
        }

        var traces: [[TEMPoint]] = []
        var frames = [[TEMTruthDislocation]](repeating: [], count: params.frames)
        for (pi, pile) in params.pileups.enumerated() {
            let a = pile.angleDegrees * .pi / 180
            let u = TEMPoint(cos(a), sin(a)), n = TEMPoint(-sin(a), cos(a))
            for side in [-0.5, 0.5] {
                if let seg = Self.clipLine(point: pile.centre + side * pile.slipWidth * n, direction: u,
                                           width: w, height: h, margin: Double(margin)) { traces.append(seg) }
            }
            var motion = TEMPileupMotion(pile: pile, rng: SeededRandom(seed: params.seed).derived(1000 + UInt64(pi)))
            var now = 0
            for f in 0..<params.frames {
                while now < stage.time[f] { motion.advance(); now += 1 }
                for (i, d) in pile.dislocations.enumerated() where motion.present[i] {
                    let pts = Self.shape(d, centre: pile.centre + stage.drift[f], u: u, n: n, slipWidth: pile.slipWidth,
                                         position: motion.position[i], step: 1)
                    guard let visible = Self.visiblePart(pts, width: w, height: h) else { continue }
                    frames[f].append(TEMTruthDislocation(id: d.id, pileup: pi, points: visible))
                }
            }
        }
        truth = frames
        slipTraces = traces
    }

    /// The longest run of `points` inside the frame, if it is at least 20 px long (a dislocation
    /// leaving the field, or carried out by the drift, is only its visible part).
    static func visiblePart(_ points: [TEMPoint], width: Int, height: Int) -> [TEMPoint]? {
        let xMax = Double(width - 1), yMax = Double(height - 1)
        func inside(_ p: TEMPoint) -> Bool { p.x >= 0 && p.y >= 0 && p.x <= xMax && p.y <= yMax }
        if points.allSatisfy(inside) { return points }
        var best: ArraySlice<TEMPoint> = [], run = 0
        for i in points.indices {
            if inside(points[i]) { run += 1 } else { run = 0 }
            if run > best.count { best = points[(i - run + 1)...i] }
        }
        let piece = Array(best)
        return piece.count >= 2 && TEMPolyline.length(piece) >= 20 ? piece : nil
    }

    /// Renders frame `index`: background, slip traces, dislocations, noise; values in [0, 1].
    public func frame(_ index: Int) -> [Float] {
        if let n = params.nuisance { return renderWithNuisance(index, nuisance: n) }
        let w = params.width, h = params.height, bg = params.background
        var rng = SeededRandom(seed: params.seed).derived(1_000_000 + UInt64(index))
        // P4 = P3 + w_w·X1, P5 = G(P4; s1), P6 = P5 + σ(P5)·X2, P7 = G(P6; s2), clip.
        var img = perlin
        for i in img.indices { img[i] += Float(bg.wWhite * (2 * rng.unit() - 1)) }
        img = GaussianFilter.blur(img, width: w, height: h, sigma: bg.s1)
        let mean = img.reduce(0, +) / Float(img.count)
        let std = (img.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(img.count)).squareRoot()
        for i in img.indices { img[i] += std * Float(2 * rng.unit() - 1) }
        img = GaussianFilter.blur(img, width: w, height: h, sigma: bg.s2)
        let floor = Float(bg.floor)
        for i in img.indices { img[i] = floor + (1 - floor) * min(1, max(0, img[i])) }
        var t = 0
        for pile in params.pileups {
            for _ in 0..<2 where t < slipTraces.count {
                Self.stamp(&img, width: w, height: h, polyline: slipTraces[t], lineWidth: pile.traceWidth,
                           contrast: pile.traceContrast)
                t += 1
            }
        }
        let contrast = Dictionary(uniqueKeysWithValues: params.pileups.flatMap(\.dislocations).map { ($0.id, $0) })
        if index < truth.count {
            for d in truth[index] {
                guard let p = contrast[d.id] else { continue }
                Self.stamp(&img, width: w, height: h, polyline: d.points, lineWidth: p.width, contrast: p.contrast)
            }
        }
        // Box–Muller, using both deviates of each pair (half the transcendental calls).
        let sigma = params.postNoise
        var i = 0
        while i < img.count {
            var u = rng.unit()
            while u <= .leastNonzeroMagnitude { u = rng.unit() }
            let r = sigma * (-2 * log(u)).squareRoot(), t = 2 * Double.pi * rng.unit()
            img[i] = min(1, max(0, img[i] + Float(r * cos(t))))
            if i + 1 < img.count { img[i + 1] = min(1, max(0, img[i + 1] + Float(r * sin(t)))) }
            i += 2
        }
        return img
    }

    /// Frame `index` quantised to 8 bits.
    public func frame8(_ index: Int) -> [UInt8] {
        frame(index).map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
    }

    /// Points of dislocation `d` at `position` along the slip direction, every `step` px across
    /// the band (plus both ends).
    static func shape(_ d: TEMSynthParams.Dislocation, centre: TEMPoint, u: TEMPoint, n: TEMPoint,
                      slipWidth: Double, position: Double, step: Double) -> [TEMPoint] {
        let k = d.supportOffsets.count
        let vs = (0..<k).map { -0.5 * slipWidth + slipWidth * Double($0) / Double(k - 1) }
        let spline = CubicSpline(xs: vs, ys: d.supportOffsets)
        // Sample finely in v, then resample by arc length so points are evenly spaced.
        let m = max(2, Int(slipWidth / 0.5))
        let dense = (0...m).map { j -> TEMPoint in
            let v = -0.5 * slipWidth + slipWidth * Double(j) / Double(m)
            return centre + (position + spline(v)) * u + v * n
        }
        return TEMPolyline.resample(dense, spacing: step)
    }

    /// The part of the infinite line through `point` along `direction` inside the frame.
    static func clipLine(point: TEMPoint, direction: TEMPoint, width: Int, height: Int, margin: Double = 0) -> [TEMPoint]? {
        var lo = -1e9, hi = 1e9
        for (p, d, limit) in [(point.x, direction.x, Double(width - 1) + margin), (point.y, direction.y, Double(height - 1) + margin)] {
            if abs(d) < 1e-12 {
                if p < -margin || p > limit { return nil }
                continue
            }
            let a = (-margin - p) / d, b = (limit - p) / d
            lo = max(lo, min(a, b))
            hi = min(hi, max(a, b))
        }
        guard hi > lo + 2 else { return nil }
        return [point + lo * direction, point + hi * direction]
    }

    /// Darkens the pixels within `lineWidth/2` of the polyline by `contrast`, with a one-pixel
    /// linear ramp at the edge for anti-aliasing.
    ///
    /// `modulation`, when given, scales the contrast by a function of the arc length (px) at the
    /// nearest point of the line (a dotted line).
    public static func stamp(_ img: inout [Float], width: Int, height: Int, polyline: [TEMPoint],
                      lineWidth: Double, contrast: Double, modulation: ((Double) -> Double)? = nil) {
        guard polyline.count >= 2 else { return }
        let pts = TEMPolyline.resample(polyline, spacing: 2)
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for p in pts { minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y) }
        let reach = lineWidth / 2 + 1
        let x0 = max(0, Int((minX - reach).rounded(.down))), x1 = min(width - 1, Int((maxX + reach).rounded(.up)))
        let y0 = max(0, Int((minY - reach).rounded(.down))), y1 = min(height - 1, Int((maxY + reach).rounded(.up)))
        guard x1 >= x0, y1 >= y0 else { return }
        let bw = x1 - x0 + 1
        var dist = [Double](repeating: .infinity, count: bw * (y1 - y0 + 1))
        var arc = modulation == nil ? [] : [Double](repeating: 0, count: dist.count)
        var arcStart = 0.0
        for i in 1..<pts.count {
            defer { arcStart += TEMPolyline.dist(pts[i - 1], pts[i]) }
            let a = pts[i - 1], b = pts[i]
            let sx0 = max(x0, Int((min(a.x, b.x) - reach).rounded(.down)))
            let sx1 = min(x1, Int((max(a.x, b.x) + reach).rounded(.up)))
            let sy0 = max(y0, Int((min(a.y, b.y) - reach).rounded(.down)))
            let sy1 = min(y1, Int((max(a.y, b.y) + reach).rounded(.up)))
            guard sx1 >= sx0, sy1 >= sy0 else { continue }
            for y in sy0...sy1 {
                for x in sx0...sx1 {
                    let d = TEMPolyline.segmentDistance(TEMPoint(Double(x), Double(y)), a, b)
                    let k = (y - y0) * bw + x - x0
                    if d < dist[k] {
                        dist[k] = d
                        if !arc.isEmpty { arc[k] = arcStart + TEMPolyline.dist(a, TEMPoint(Double(x), Double(y))) }
                    }
                }
            }
        }
        for y in y0...y1 {
            for x in x0...x1 {
                let k = (y - y0) * bw + x - x0
                let cover = min(1, max(0, lineWidth / 2 + 0.5 - dist[k]))
                guard cover > 0 else { continue }
                let c = modulation.map { contrast * $0(arc[k]) } ?? contrast
                img[y * width + x] -= Float(cover * c)
            }
        }
    }
}
