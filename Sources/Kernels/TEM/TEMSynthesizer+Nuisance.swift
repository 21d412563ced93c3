#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TEMSynthesizer {
    /// Renders frame `index` of a randomised video: the specimen (the paper's background, bend
    /// contours, spots, slip traces, dislocations in the drawn line style) shifted by the stage
    /// drift, then optics (blur) and camera (vignette, gradient, flicker, fixed pattern, shot and
    /// read noise, row stripes). A repeated frame renders exactly as the frame it repeats.
    func renderWithNuisance(_ index: Int, nuisance n: TEMNuisance) -> [Float] {
        let w = params.width, h = params.height
        let src = stage.source[index]
        let drift = stage.drift[src]
        var rng = SeededRandom(seed: params.seed).derived(1_000_000 + UInt64(src))
        var img = specimenBackground(drift: drift, rng: &rng)
        darkenByClutter(&img, nuisance: n, drift: drift, time: Double(stage.time[src]))
        var transmission = [Float](repeating: 1, count: w * h)
        stampLines(&transmission, frame: src, nuisance: n, drift: drift)
        for i in img.indices { img[i] *= max(0.02, transmission[i]) }
        if n.lineStyle == .bright {
            // Weak-beam dark field: where bright field is bright the image is dark, and lines glow.
            let floor = Float(0.04)
            for i in img.indices { img[i] = floor + 0.85 * (1 - img[i]) }
        }
        if n.blurSigma > 0.05 { img = GaussianFilter.blur(img, width: w, height: h, sigma: n.blurSigma) }
        applyCamera(&img, nuisance: n, rng: &rng)
        return img
    }

    /// The paper's background P7 (static Perlin field plus per-frame white noise, blurred twice),
    /// with the Perlin field sampled at the drifted position, mapped into [floor, 1] and scaled
    /// about its mean by the drawn `backgroundAmplitude`.
    private func specimenBackground(drift: TEMPoint, rng: inout SeededRandom) -> [Float] {
        let w = params.width, h = params.height, bg = params.background
        let pw = w + 2 * perlinMargin
        var img = [Float](repeating: 0, count: w * h)
        // Bilinear sample: pixel (x, y) shows specimen point (x, y) − drift.
        let ox = Double(perlinMargin) - drift.x, oy = Double(perlinMargin) - drift.y
        let ix = Int(ox.rounded(.down)), iy = Int(oy.rounded(.down))
        let fx = Float(ox - Double(ix)), fy = Float(oy - Double(iy))
        let maxX = pw - 2, maxY = h + 2 * perlinMargin - 2
        for y in 0..<h {
            let yy = min(maxY, max(0, y + iy))
            for x in 0..<w {
                let xx = min(maxX, max(0, x + ix))
                let a = perlin[yy * pw + xx], b = perlin[yy * pw + xx + 1]
                let c = perlin[(yy + 1) * pw + xx], d = perlin[(yy + 1) * pw + xx + 1]
                img[y * w + x] = (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy
            }
        }
        for i in img.indices { img[i] += Float(bg.wWhite * (2 * rng.unit() - 1)) }
        img = GaussianFilter.blur(img, width: w, height: h, sigma: bg.s1)
        let mean = img.reduce(0, +) / Float(img.count)
        let std = (img.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(img.count)).squareRoot()
        for i in img.indices { img[i] += std * Float(2 * rng.unit() - 1) }
        img = GaussianFilter.blur(img, width: w, height: h, sigma: bg.s2)
        let floor = Float(bg.floor)
        // The drawn amplitude scales the mottle about the mean intensity (`TEMNuisance.visibility`).
        for i in img.indices { img[i] = floor + (1 - floor) * min(1, max(0, img[i])) }
        if let a = params.nuisance?.backgroundAmplitude.map(Float.init), a != 1 {
            let mean = (floor + 1) / 2
            for i in img.indices { img[i] = mean + a * (img[i] - mean) }
        }
        return img
    }

    /// Bend contours and spots, fixed to the specimen (so they move with the drift).
    private func darkenByClutter(_ img: inout [Float], nuisance n: TEMNuisance, drift: TEMPoint, time: Double) {
        let w = params.width, h = params.height
        for b in n.bendContours {
            let a = b.angleDegrees * .pi / 180
            let u = TEMPoint(cos(a), sin(a)), v = TEMPoint(-sin(a), cos(a))
            let centre = b.centre + drift + b.speed * time * v
            for y in 0..<h {
                for x in 0..<w {
                    let q = TEMPoint(Double(x), Double(y)) - centre
                    let along = (q * u).sum(), across = (q * v).sum()
                    let r = (across - b.curvature * along * along) / b.width
                    guard abs(r) < 3 else { continue }
                    img[y * w + x] *= Float(1 - b.depth * exp(-r * r))
                }
            }
        }
        for s in n.spots {
            let c = s.centre + drift
            let reach = 3 * s.radius
            let x0 = max(0, Int(c.x - reach)), x1 = min(w - 1, Int(c.x + reach))
            let y0 = max(0, Int(c.y - reach)), y1 = min(h - 1, Int(c.y + reach))
            guard x1 >= x0, y1 >= y0 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let d = TEMPoint(Double(x), Double(y)) - c
                    img[y * w + x] *= Float(1 - s.depth * exp(-(d * d).sum() / (2 * s.radius * s.radius)))
                }
            }
        }
    }

    /// Slip traces and dislocations as losses of transmission, in the video's line style.
    private func stampLines(_ t: inout [Float], frame: Int, nuisance n: TEMNuisance, drift: TEMPoint) {
        let w = params.width, h = params.height
        var k = 0
        for pile in params.pileups {
            for _ in 0..<2 where k < slipTraces.count {
                Self.stamp(&t, width: w, height: h, polyline: slipTraces[k].map { $0 + drift },
                           lineWidth: pile.traceWidth, contrast: pile.traceContrast)
                k += 1
            }
        }
        let byID = Dictionary(uniqueKeysWithValues: params.pileups.flatMap(\.dislocations).map { ($0.id, $0) })
        for d in truth[frame] {
            guard let p = byID[d.id] else { continue }
            switch n.lineStyle {
            case .dark, .bright:
                Self.stamp(&t, width: w, height: h, polyline: d.points, lineWidth: p.width, contrast: p.contrast)
            case .double:
                for side in [-0.5, 0.5] {
                    Self.stamp(&t, width: w, height: h, polyline: TEMPolyline.offset(d.points, by: side * n.doubleSeparation),
                               lineWidth: max(1, p.width * 0.6), contrast: p.contrast * 0.8)
                }
            case .dotted:
                let period = n.dotPeriod, depth = n.dotDepth
                // Phase from the id: the dots belong to the line, not to the frame.
                let phase = Double(d.id) * 2.39
                Self.stamp(&t, width: w, height: h, polyline: d.points, lineWidth: p.width, contrast: p.contrast) { s in
                    1 - depth * 0.5 * (1 + cos(2 * .pi * s / period + phase))
                }
            }
        }
    }

    /// Camera-fixed effects and noise, then clipping to [0, 1].
    private func applyCamera(_ img: inout [Float], nuisance n: TEMNuisance, rng: inout SeededRandom) {
        let w = params.width, h = params.height
        let gain = Float(max(0.5, 1 + n.flicker * rng.gaussian()))
        let g = n.gradientAngleDegrees * .pi / 180
        let gx = Float(n.gradient * cos(g) / Double(w)), gy = Float(n.gradient * sin(g) / Double(h))
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2, r2max = cx * cx + cy * cy
        let vignette = Float(n.vignette), dose = n.dose, read = n.readNoise
        for y in 0..<h {
            let stripe = Float(n.rowStripes * rng.gaussian())
            for x in 0..<w {
                let i = y * w + x
                let dx = Float(x) - cx, dy = Float(y) - cy
                var v = img[i] * gain * fixedGain[i] * (1 - vignette * (dx * dx + dy * dy) / r2max)
                v *= 1 + gx * dx + gy * dy
                if dose > 0 { v = Float(Double(rng.poisson(Double(max(0, v)) * dose)) / dose) }
                v += stripe + Float(read * rng.gaussian())
                img[i] = min(1, max(0, v))
            }
        }
    }
}
