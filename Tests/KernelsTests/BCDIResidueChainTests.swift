import XCTest
@testable import Kernels

/// Residue chains (`BCDIResidueChains`) and the split of merged core regions along them.
final class BCDIResidueChainTests: XCTestCase {
    /// Two parallel screw lines `separation` voxels apart in a blurred sphere.
    private func closePair(separation: Double, blur: Double, tilt: SIMD3<Double>) -> BCDISyntheticVolume {
        let n = 36
        let q = SIMD3<Double>(0, 0, 30)
        let dir = BCDIVec.normalized(SIMD3<Double>(0, 0, 1) + tilt)
        let b = dir * (2 * .pi / (q * dir).sum())
        let centre = SIMD3<Double>(17.3, 17.6, 17.5)
        let offset = BCDIVec.normalized(BCDIVec.cross(dir, SIMD3(0.3, 1, 0))) * (separation / 2)
        let lines = [centre + offset, centre - offset].map { BCDIDislocation(.straight(point: $0, direction: dir), burgers: b) }
        let spec = BCDISyntheticSpec(shape: BCDIShape(nz: n, ny: n, nx: n), crystal: .sphere(radius: 15), dislocations: lines,
                                     bragg: q, blurSigma: blur, noise: 0)
        return BCDISynthetic.make(spec)
    }

    func testAStraightLineIsOneChainThroughTheCrystal() {
        let v = closePair(separation: 12, blur: 0.8, tilt: SIMD3(0.1, 0.05, 0))
        let (phase, _) = BCDIPhaseRamp.extractPhase(re: v.re, im: v.im, support: v.support, shape: v.shape, remove: false)
        let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
        let long = BCDIResidueChains.chains(residues).filter { BCDIResidueChains.extent($0, residues: residues) > 20 }
        XCTAssertEqual(long.count, 2, "one chain per line")
        // Every cell a chain passes through inside the crystal holds an even number of its faces
        // (in and out); only cells at the support's edge end a chain.
        for chain in long {
            var perCell: [SIMD3<Int>: Int] = [:]
            for k in chain {
                let (a, b) = BCDIResidueChains.cells(of: residues[k])
                perCell[a, default: 0] += 1
                perCell[b, default: 0] += 1
            }
            XCTAssertEqual(perCell.values.filter { $0 % 2 == 1 }.count, 2, "a chain has two ends")
        }
    }

    func testClosePairWhoseCoresMergedIsTracedAsTwoLines() {
        for (separation, tilt) in [(2.5, SIMD3<Double>(0.1, 0.05, 0)), (3.0, SIMD3(-0.2, 0.1, 0)), (4.0, SIMD3(0, -0.15, 0))] {
            let v = closePair(separation: separation, blur: 1.0, tilt: tilt)
            let (phase, _) = BCDIPhaseRamp.extractPhase(re: v.re, im: v.im, support: v.support, shape: v.shape, remove: false)
            // The merged core region of a strong blur or a wide dip: Ψ > cutoff within 2.5
            // voxels of either line, one component (the real Ψ is used where it is higher).
            let segments = v.truth.map { BCDILine(points: $0, closed: false) }.flatMap(\.segments)
            var psi = BCDIPsi.compute(phase: phase, support: v.support, shape: v.shape)
            for i in 0..<v.shape.count where v.support[i] != 0 {
                let c = v.shape.coordinates(of: i)
                let d = BCDIEvaluation.distance(SIMD3(Double(c.x), Double(c.y), Double(c.z)), to: segments)
                if d <= 2.5 { psi[i] = max(psi[i], 4.5 + Float(2.5 - d) * 0.5) }
            }
            let merged = BCDILines.detect(psi: psi, support: v.support, shape: v.shape)
            XCTAssertLessThan(merged.filter { $0.length > 15 }.count, 2, "separation \(separation): without the residues the region is not two lines")
            for tracing in [BCDILineTracing.split, .residues] {
                let lines = BCDILines.detect(psi: psi, support: v.support, phase: phase, shape: v.shape, options: BCDILineOptions(tracing: tracing))
                let long = lines.filter { $0.length > 15 }
                XCTAssertEqual(long.count, 2, "separation \(separation), \(tracing): \(lines.map(\.length))")
                XCTAssertEqual(Set(long.map(\.component)).count, 1, "separation \(separation), \(tracing): one Ψ component, split along its residues")
                let score = BCDIEvaluation.score(truth: v.truth, detected: lines)
                XCTAssertGreaterThan(score.recall, 0.95, "separation \(separation), \(tracing)")
                XCTAssertGreaterThan(score.precision, 0.95, "separation \(separation), \(tracing)")
            }
        }
    }

    func testANoisePairOnALineDoesNotCutIt() {
        // A chain of cells (5, 5, 0…20) along z, and a noise pair's side loop through
        // (6, 5, 10) and (6, 5, 11) that rejoins it: the line is one piece, end to end.
        var residues = (1...20).map { BCDIResidue(center: SIMD3(5.5, 5.5, Double($0)), axis: 2, winding: 1) }
        residues += [BCDIResidue(center: SIMD3(6, 5.5, 10.5), axis: 0, winding: 1),
                     BCDIResidue(center: SIMD3(6.5, 5.5, 11), axis: 2, winding: 1),
                     BCDIResidue(center: SIMD3(6, 5.5, 11.5), axis: 0, winding: -1)]
        let chains = BCDIResidueChains.chains(residues)
        XCTAssertEqual(chains.count, 1)
        let pieces = BCDIResidueChains.pieces(chains[0], residues: residues, spurLength: 3, smoothing: 2)
        let whole = pieces.filter { $0.startIsEnd && $0.endIsEnd }
        XCTAssertEqual(whole.count, 1, "\(pieces.map(\.points.count))")
        XCTAssertEqual(whole.first.map { BCDILine(points: $0.points, closed: false).length } ?? 0, 20, accuracy: 0.5)
        // The rest is the side loop's short arc, left to the noise-pair rules.
        XCTAssertTrue(pieces.filter { !($0.startIsEnd && $0.endIsEnd) }.allSatisfy { !$0.inner && $0.points.count <= 4 })
    }
}
