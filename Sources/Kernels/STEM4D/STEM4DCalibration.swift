#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bright-field disk of a diffraction pattern, in detector pixels (origin at the centre
/// of pixel (0, 0), x along det_x).
public struct STEM4DBrightField: Sendable, Hashable, Codable {
    /// Sub-pixel centre x (det_x).
    public var cx: Double
    /// Sub-pixel centre y (det_y).
    public var cy: Double
    /// Sub-pixel radius.
    public var radius: Double
    /// Background (outside) and plateau (inside) levels used for the threshold.
    public var background: Double
    /// Mean level inside the disk.
    public var plateau: Double

    /// A disk with the given centre and radius.
    public init(cx: Double, cy: Double, radius: Double, background: Double = 0, plateau: Double = 1) {
        self.cx = cx; self.cy = cy; self.radius = radius; self.background = background; self.plateau = plateau
    }

    /// Scattering angle per detector pixel: `convergenceMrad / radius` (mrad/px).
    public func mradPerPixel(convergenceMrad: Double) -> Double { convergenceMrad / radius }

    /// The disk as a detector geometry.
    public var geometry: STEM4DDetectorGeometry { .circle(cx: cx, cy: cy, r: radius) }
}

/// Errors of the 4D-STEM kernels.
public enum STEM4DError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mean pattern has no bright-field disk (flat or empty).
    case noBrightField(String)
    /// The requested stereo geometry does not fit inside the disk.
    case stereoGeometry(String)

    public var description: String {
        switch self {
        case .noBrightField(let s): return "cannot find the bright-field disk: \(s)"
        case .stereoGeometry(let s): return "impossible stereo detector geometry: \(s)"
        }
    }
}

/// Bright-field disk calibration from a mean (or vacuum) diffraction pattern.
public enum STEM4DCalibration {
    /// Finds the disk: background and plateau levels from the darkest and brightest deciles,
    /// threshold at half-way, keep the connected region through the brightest pixels, then
    /// a soft (partial-pixel) membership `clamp((I − bg)/(plateau − bg), 0, 1)` gives the
    /// area (radius = √(area/π)) and centre of mass with sub-pixel precision.
    public static func brightField(pattern: [Float], detector: STEM4DDetectorShape) throws -> STEM4DBrightField {
        precondition(pattern.count == detector.pixels, "pattern has \(pattern.count) values, detector \(detector.pixels)")
        let sorted = pattern.map(Double.init).sorted()
        guard let first = sorted.first, first.isFinite, sorted.last!.isFinite else {
            throw STEM4DError.noBrightField("pattern is empty or not finite")
        }
        let n = sorted.count
        let bg = sorted[0..<max(1, n / 10)].reduce(0, +) / Double(max(1, n / 10))
        // Plateau: median of the pixels above the midpoint between background and maximum.
        let mid0 = (bg + sorted[n - 1]) / 2
        let upper = sorted.filter { $0 > mid0 }
        let plateau = upper.isEmpty ? sorted[n - 1] : upper[upper.count / 2]
        guard plateau > bg * 1.05 + 1e-12 else { throw STEM4DError.noBrightField("pattern is flat (max ≈ background)") }
        let thr = (bg + plateau) / 2
        // Connected component (4-neighbours) of above-threshold pixels holding most plateau pixels.
        let w = detector.cols, h = detector.rows
        var label = [Int](repeating: -1, count: n)
        var best = -1, bestSize = 0, next = 0
        for start in 0..<n where label[start] < 0 && Double(pattern[start]) > thr {
            var stack = [start]
            label[start] = next
            var size = 0
            while let p = stack.popLast() {
                size += 1
                let x = p % w, y = p / w
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && nx < w && ny >= 0 && ny < h {
                    let q = ny * w + nx
                    if label[q] < 0 && Double(pattern[q]) > thr { label[q] = next; stack.append(q) }
                }
            }
            if size > bestSize { bestSize = size; best = next }
            next += 1
        }
        guard best >= 0 else { throw STEM4DError.noBrightField("no pixel above half-maximum") }
        // Soft membership within the component grown by two pixels (keeps edge pixels).
        var inRegion = label.map { $0 == best }
        for _ in 0..<2 {
            var grown = inRegion
            for y in 0..<h {
                for x in 0..<w where !inRegion[y * w + x] {
                    if (x > 0 && inRegion[y * w + x - 1]) || (x + 1 < w && inRegion[y * w + x + 1])
                        || (y > 0 && inRegion[(y - 1) * w + x]) || (y + 1 < h && inRegion[(y + 1) * w + x]) {
                        grown[y * w + x] = true
                    }
                }
            }
            inRegion = grown
        }
        var area = 0.0, sx = 0.0, sy = 0.0
        for y in 0..<h {
            for x in 0..<w where inRegion[y * w + x] {
                let m = min(1, max(0, (Double(pattern[y * w + x]) - bg) / (plateau - bg)))
                area += m; sx += m * Double(x); sy += m * Double(y)
            }
        }
        guard area > 0 else { throw STEM4DError.noBrightField("empty disk") }
        let cx = sx / area, cy = sy / area, r0 = (area / .pi).squareRoot()
        // That area rests on global background and plateau levels, which a halo of diffuse
        // scattering or low counts bias; levels measured on either side of the rim do not.
        let radius = localLevelRadius(pattern: pattern, detector: detector, cx: cx, cy: cy, guess: r0) ?? r0
        return STEM4DBrightField(cx: cx, cy: cy, radius: radius, background: bg, plateau: plateau)
    }

    /// The radius from the disk's integral with local levels: the level inside (ρ < 0.6
    /// `guess`) and just outside the edge (ρ within 1.5–3 px past `guess`) normalise the
    /// pattern, whose sum over ρ < `guess` + 1.5 is the disk's area (exact for partial-pixel
    /// coverage, and linear, so noise does not bias it). Nil when the disk is too small or
    /// its outside is off the detector.
    static func localLevelRadius(pattern: [Float], detector: STEM4DDetectorShape, cx: Double, cy: Double, guess: Double) -> Double? {
        guard guess >= 2 else { return nil }
        let edge = guess + 1.5, outerHi = guess + 3
        var inner = 0.0, innerN = 0.0, outer = 0.0, outerN = 0.0, disk = 0.0, diskN = 0.0
        for y in 0..<detector.rows {
            for x in 0..<detector.cols {
                let rho = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                let v = Double(pattern[y * detector.cols + x])
                if rho < 0.6 * guess { inner += v; innerN += 1 }
                if rho < edge { disk += v; diskN += 1 } else if rho <= outerHi { outer += v; outerN += 1 }
            }
        }
        // The whole ring must be on the detector (a disk cut by the edge has an unknown area).
        guard innerN > 0, outerN >= 2 * .pi * (guess + 2) else { return nil }
        let a = inner / innerN, b = outer / outerN
        guard a > b else { return nil }
        let area = (disk - b * diskN) / (a - b)
        return area > 0 ? (area / .pi).squareRoot() : nil
    }
}
