import Foundation

/// Everything that fixes a synthetic nanodiffraction rocking scan (`NanodiffSynthesizer`).
/// Lengths in the scan plane are in scan positions unless marked Å.
public struct NanodiffSynthParams: Sendable, Equatable, Codable {
    /// An edge dislocation (line along the beam) with Burgers vector ±d₀·Q̂, so Q·b = ±2π.
    public struct Dislocation: Sendable, Equatable, Codable {
        public var x: Double, y: Double
        /// +1 or −1.
        public var sign: Double
        public init(x: Double, y: Double, sign: Double) { self.x = x; self.y = y; self.sign = sign }
    }
    /// A straight boundary through (x, y) at `angleDeg` from the scan x axis, across which the
    /// lattice turns by `misorientationRad` about the beam axis.
    public struct TiltBoundary: Sendable, Equatable, Codable {
        public var x: Double, y: Double, angleDeg: Double, misorientationRad: Double
        public init(x: Double, y: Double, angleDeg: Double, misorientationRad: Double) {
            self.x = x; self.y = y; self.angleDeg = angleDeg; self.misorientationRad = misorientationRad
        }
    }
    /// A Gaussian dilatation centre: peak strain `strain`, radius `radius` positions.
    public struct StrainedRegion: Sendable, Equatable, Codable {
        public var x: Double, y: Double, radius: Double, strain: Double
        public init(x: Double, y: Double, radius: Double, strain: Double) {
            self.x = x; self.y = y; self.radius = radius; self.strain = strain
        }
    }

    public var scanRows = 16, scanCols = 16
    public var detRows = 32, detCols = 32
    public var angles = 17
    /// Half the rocking range, degrees (angles are symmetric offsets around the Bragg angle).
    public var rockingHalfRangeDeg = 0.5
    public var energyKeV = 10.0
    public var distanceM = 0.5
    public var pixelUm = 55.0
    /// Unstrained lattice spacing, Å (2θ follows from it and the energy).
    public var d0 = 4.7
    public var centerX = 15.3, centerY = 16.1
    /// Scan step, Å.
    public var stepAngstrom = 1000.0
    /// Beam FWHM, scan steps.
    public var beamFWHM = 0.3
    /// Peak width σ in reciprocal space, Å⁻¹ (finite coherent volume, divergence).
    public var peakSigma = 1.5e-3
    /// Expected diffracted counts per position of a perfect crystal.
    public var dose = 1e5
    /// Expected background counts per detector pixel per frame.
    public var background = 0.05
    public var dislocations: [Dislocation] = []
    public var boundary: TiltBoundary?
    public var region: StrainedRegion?
    public var seed: UInt64 = 1

    public init() {}

    /// The geometry that puts the unstrained Bragg peak on (`centerX`, `centerY`) at Δω = 0.
    public var geometry: NanodiffGeometry {
        let lambda = 12.398_419_843_320_026 / energyKeV
        let twoTheta = 2 * asin(lambda / (2 * d0)) * 180 / .pi
        return NanodiffGeometry(energyKeV: energyKeV, distanceM: distanceM, pixelUm: pixelUm, twoThetaDeg: twoTheta,
                                centerX: centerX, centerY: centerY, rockingAxis: .y)
    }

    /// The rocking offsets, degrees.
    public var anglesDeg: [Double] {
        guard angles > 1 else { return [0] }
        return (0..<angles).map { -rockingHalfRangeDeg + 2 * rockingHalfRangeDeg * Double($0) / Double(angles - 1) }
    }

    /// The demo layout: three dislocations, a tilt boundary and a strained region.
    public static func demo(rows: Int = 16, cols: Int = 16, seed: UInt64 = 1) -> NanodiffSynthParams {
        var p = NanodiffSynthParams()
        p.scanRows = rows; p.scanCols = cols; p.seed = seed
        let w = Double(cols), h = Double(rows)
        p.dislocations = [.init(x: 0.27 * w + 0.3, y: 0.3 * h + 0.4, sign: 1), .init(x: 0.7 * w + 0.2, y: 0.28 * h - 0.3, sign: -1),
                          .init(x: 0.4 * w - 0.4, y: 0.72 * h + 0.2, sign: 1)]
        p.boundary = TiltBoundary(x: w / 2, y: 0.52 * h, angleDeg: 8, misorientationRad: 4e-4)
        p.region = StrainedRegion(x: 0.75 * w, y: 0.75 * h, radius: 2.5, strain: 6e-4)
        p.rockingHalfRangeDeg = p.suggestedHalfRangeDeg
        return p
    }

    /// ±(4.5 σ of the rocking curve + the largest tilt expected), degrees.
    public var suggestedHalfRangeDeg: Double {
        let q = 2 * Double.pi / d0
        return (4.5 * peakSigma / q + 3e-3) * 180 / .pi
    }

    /// Draws every nuisance from wide, physically plausible ranges: energy, distance, pixel
    /// size, lattice spacing (so 2θ), detector centre, step, beam size, peak width, dose,
    /// background, the number of angles, and the positions and signs of the defects.
    public static func randomized(rows: Int, cols: Int, seed: UInt64) -> NanodiffSynthParams {
        var rng = SeededRandom(seed: seed ^ 0x5EED_0F_0DD)
        var p = NanodiffSynthParams()
        p.scanRows = rows; p.scanCols = cols; p.seed = seed
        p.energyKeV = rng.uniform(8...15)
        p.d0 = rng.uniform(2.0...5.0)
        p.distanceM = rng.uniform(0.3...1.0)
        p.pixelUm = rng.uniform(50...100)
        p.centerX = Double(p.detCols) / 2 + rng.uniform(-3...3)
        p.centerY = Double(p.detRows) / 2 + rng.uniform(-3...3)
        p.stepAngstrom = rng.uniform(500...2000)
        p.beamFWHM = rng.uniform(0.2...0.8)
        let qPerPixel = p.geometry.wavenumber * p.pixelUm * 1e-6 / p.distanceM
        p.peakSigma = rng.uniform(1.5...3.0) * qPerPixel
        p.dose = exp(rng.uniform(log(1e4)...log(1e6)))
        p.background = exp(rng.uniform(log(0.005)...log(1.0)))
        p.angles = Int(rng.uniform(15...31))
        p.rockingHalfRangeDeg = p.suggestedHalfRangeDeg
        let w = Double(cols), h = Double(rows)
        // Dislocations at least 4 positions apart and 2.5 from the edges.
        var placed: [Dislocation] = []
        let wanted = Int(rng.uniform(2...4.99))
        var tries = 0
        while placed.count < wanted && tries < 1000 {
            tries += 1
            let x = rng.uniform(2.5...(w - 3.5)), y = rng.uniform(2.5...(h - 3.5))
            if placed.allSatisfy({ ($0.x - x) * ($0.x - x) + ($0.y - y) * ($0.y - y) >= 16 }) {
                placed.append(.init(x: x, y: y, sign: rng.unit() < 0.5 ? -1 : 1))
            }
        }
        p.dislocations = placed
        // Boundaries between 0.005° and 0.04° (log uniform) within ±20° of the scan x axis: the
        // circulation test stays clear of them (docs, Limits).
        p.boundary = TiltBoundary(x: rng.uniform((0.3 * w)...(0.7 * w)), y: rng.uniform((0.3 * h)...(0.7 * h)), angleDeg: rng.uniform(-20...20),
                                  misorientationRad: (rng.unit() < 0.5 ? -1 : 1) * exp(rng.uniform(log(0.005)...log(0.04))) * .pi / 180)
        p.region = StrainedRegion(x: rng.uniform(2...(w - 2)), y: rng.uniform(2...(h - 2)), radius: rng.uniform(1.5...4),
                                  strain: (rng.unit() < 0.5 ? -1 : 1) * exp(rng.uniform(log(1e-4)...log(2e-3))))
        return p
    }
}
