import Foundation

/// Renders a synthetic rocking scan: for every scan position and rocking angle, the expected
/// counts of each detector pixel are the background plus the dose times the beam-weighted sum
/// of Gaussian Bragg peaks (width `peakSigma` in reciprocal space) centred on the local Bragg
/// vectors g(r) of the points under the beam (`NanodiffCrystal`), evaluated at the pixel's q
/// (`NanodiffGeometry`) — kinematic diffraction from a partially coherent beam, where the
/// sub-beam regions scatter incoherently. Counts are Poisson draws.
///
/// Truth per position: the beam-weighted mean Bragg vector (what an ideal centroid measures),
/// its strain and tilts against the unstrained lattice, and the dislocation positions.
public enum NanodiffSynthesizer {
    public struct Truth: Sendable {
        /// Per position (row-major scan): strain and tilts (radians), against Q of d₀.
        public var strain: [Double]
        public var tiltX: [Double]
        public var tiltY: [Double]
    }

    /// The expected-count frames of scan position (`row`, `col`): `angles`×`detRows`×`detCols`.
    public static func expected(_ p: NanodiffSynthParams, crystal: NanodiffCrystal, qTable: [SIMD3<Float>], norm: Double,
                                row: Int, col: Int) -> (counts: [Float], mean: SIMD3<Double>) {
        let samples = crystal.beamSamples(x: Double(col), y: Double(row))
        let gs = samples.map { (crystal.bragg($0.r), $0.w) }
        let mean = gs.reduce(SIMD3<Double>.zero) { $0 + $1.0 * $1.1 }
        // Where the sub-beam vectors barely differ, one peak at their mean is the same picture.
        let spread = gs.map { (($0.0 - mean) * ($0.0 - mean)).sum() }.max() ?? 0
        let peaks: [(SIMD3<Float>, Float)] = spread < 0.01 * p.peakSigma * p.peakSigma
            ? [(SIMD3<Float>(mean), Float(1))] : gs.map { (SIMD3<Float>($0.0), Float($0.1)) }
        let inv = Float(-0.5 / (p.peakSigma * p.peakSigma)), cut = Float(36 * p.peakSigma * p.peakSigma)
        let scale = Float(p.dose / norm)
        var out = [Float](repeating: Float(p.background), count: qTable.count)
        for (g, w) in peaks {
            for i in 0..<qTable.count {
                let d = qTable[i] - g
                let d2 = (d * d).sum()
                if d2 < cut { out[i] += scale * w * exp(inv * d2) }
            }
        }
        return (out, mean)
    }

    /// q of every (angle, row, col) voxel.
    public static func qTable(_ p: NanodiffSynthParams) -> [SIMD3<Float>] {
        let g = p.geometry
        var t: [SIMD3<Float>] = []
        t.reserveCapacity(p.angles * p.detRows * p.detCols)
        for a in p.anglesDeg {
            for v in 0..<p.detRows { for u in 0..<p.detCols { t.append(SIMD3<Float>(g.q(u: Double(u), v: Double(v), omega: a * .pi / 180))) } }
        }
        return t
    }

    /// The whole scan as uint16 counts, C order [angle, scan_row, scan_col, det_row, det_col],
    /// and the truth. Positions render in parallel.
    public static func render(_ p: NanodiffSynthParams, threads: Int = Parallel.defaultThreads()) -> (data: [UInt16], truth: Truth) {
        let crystal = NanodiffCrystal(p)
        let table = qTable(p)
        let inv = -0.5 / (p.peakSigma * p.peakSigma)
        let norm = table.reduce(0.0) { $0 + exp(inv * Double(((($1 - SIMD3<Float>(crystal.q)) * ($1 - SIMD3<Float>(crystal.q))).sum()))) }
        let frame = p.detRows * p.detCols, positions = p.scanRows * p.scanCols
        var data = [UInt16](repeating: 0, count: p.angles * positions * frame)
        var means = [SIMD3<Double>](repeating: .zero, count: positions)
        let reference = NanodiffLatticeFrame(q0: crystal.q, d0: p.d0)
        data.withUnsafeMutableBufferPointer { out in
            means.withUnsafeMutableBufferPointer { m in
                let shared = UnsafeSendable((out, m))
                Parallel.forEach(positions, threads: threads) { pos in
                    let (counts, mean) = expected(p, crystal: crystal, qTable: table, norm: max(norm, 1e-300), row: pos / p.scanCols, col: pos % p.scanCols)
                    shared.value.1[pos] = mean
                    var rng = SeededRandom(seed: p.seed).derived(UInt64(pos) + 1)
                    for a in 0..<p.angles {
                        let base = (a * positions + pos) * frame
                        for i in 0..<frame {
                            shared.value.0[base + i] = UInt16(min(65535, rng.poisson(Double(counts[a * frame + i]))))
                        }
                    }
                }
            }
        }
        let tilts = means.map { reference.tilts($0) }
        return (data, Truth(strain: means.map { reference.strain($0) }, tiltX: tilts.map(\.x), tiltY: tilts.map(\.y)))
    }
}
