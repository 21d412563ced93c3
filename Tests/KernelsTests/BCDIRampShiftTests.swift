import Foundation
@testable import Kernels
import XCTest

/// `BCDIRampShift`: the move a blur gives a vortex line under a phase ramp (σ² g × t̂), its
/// undoing on a traced line, and the sense a traced path takes from its residues.
final class BCDIRampShiftTests: XCTestCase {
    /// The undoing is a move of −pull × t̂ at every point: a straight line along z with the pull
    /// along x moves by +|pull| along y (−|pull| with the opposite sense), a ring in the xy
    /// plane with the pull along z grows or shrinks by |pull|, and sense 0 or no pull leaves a
    /// line as it is.
    func testUndoMovesAcrossTheTangent() {
        let line = (0..<9).map { SIMD3<Double>(2, 3, Double($0)) }
        let pull = SIMD3<Double>(0.4, 0, 0)
        for (sense, dy) in [(1, 0.4), (-1, -0.4)] {
            for (p, q) in zip(line, BCDIRampShift.undo(line, closed: false, sense: sense, pull: pull)) {
                XCTAssertEqual(q.x, p.x, accuracy: 1e-12)
                XCTAssertEqual(q.y, p.y + dy, accuracy: 1e-12)
                XCTAssertEqual(q.z, p.z, accuracy: 1e-12)
            }
        }
        XCTAssertEqual(BCDIRampShift.undo(line, closed: false, sense: 0, pull: pull), line)
        XCTAssertEqual(BCDIRampShift.undo(line, closed: false, sense: 1, pull: .zero), line)
        // A ring of radius 5 about (10, 10, 4), counter-clockwise about +z.
        let ring = (0..<40).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 40
            return SIMD3(10 + 5 * cos(t), 10 + 5 * sin(t), 4)
        }
        for (sense, radius) in [(1, 5.3), (-1, 4.7)] {
            // Sense +1: t̂ = φ̂, and −(0.3 ẑ) × φ̂ = +0.3 r̂.
            for q in BCDIRampShift.undo(ring, closed: true, sense: sense, pull: SIMD3(0, 0, 0.3)) {
                let r = ((q.x - 10) * (q.x - 10) + (q.y - 10) * (q.y - 10)).squareRoot()
                XCTAssertEqual(r, radius, accuracy: 1e-9)
                XCTAssertEqual(q.z, 4, accuracy: 1e-12)
            }
        }
        let pulled = BCDIRampShift.pull(ramp: SIMD3(0.1, -0.2, 0.3), blur: 1.5, inverted: 0.5)
        for k in 0..<3 { XCTAssertEqual(pulled[k], SIMD3(0.1, -0.2, 0.3)[k] * 2, accuracy: 1e-12) }
        XCTAssertEqual(BCDIRampShift.pull(ramp: SIMD3(0.1, -0.2, 0.3), blur: 0.5, inverted: 1.5), .zero)
    }

    /// The residues of a screw line along z give a path traced upwards the sense of the phase's
    /// winding about +z (its z faces' windings) and the reversed path the opposite; a path with
    /// no residue on its steps gives 0.
    func testSenseFromTheResidues() {
        let spec = BCDISyntheticSpec(shape: BCDIShape(nz: 24, ny: 24, nx: 24), crystal: .sphere(radius: 10),
                                     dislocations: [BCDIDislocation(.straight(point: SIMD3(11.7, 12.2, 12), direction: SIMD3(0, 0, 1)),
                                                                    burgers: SIMD3(0, 0, 2 * Double.pi / 40))],
                                     blurSigma: 0.5, noise: 0, coreDip: 0.8, coreWidth: 0.5)
        let v = BCDISynthetic.make(spec)
        let phase = zip(v.re, v.im).map { atan2f($1, $0) }
        let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
        guard let chain = BCDIResidueChains.chains(residues).max(by: { $0.count < $1.count }) else { return XCTFail("no residues") }
        var winding: [SIMD4<Int>: Int] = [:]
        for k in chain {
            let (_, upper) = BCDIResidueChains.cells(of: residues[k])
            winding[BCDIRampShift.key(upperCell: upper, axis: residues[k].axis)] = residues[k].winding
        }
        let pieces = BCDIResidueChains.pieces(chain, residues: residues, spurLength: 3, smoothing: 2)
        guard let cells = pieces.max(by: { $0.cells.count < $1.cells.count })?.cells, let first = cells.first, let last = cells.last else {
            return XCTFail("no piece traced")
        }
        let upwards = last.z > first.z ? cells : Array(cells.reversed())
        // The field's own handedness about +z: the z faces' windings.
        let sum = residues.filter { $0.axis == 2 }.map(\.winding).reduce(0, +)
        XCTAssertGreaterThan(abs(sum), 10)
        let hand = sum > 0 ? 1 : -1
        XCTAssertEqual(BCDIRampShift.sense(of: upwards, closed: false, winding: winding), hand)
        XCTAssertEqual(BCDIRampShift.sense(of: upwards.reversed(), closed: false, winding: winding), -hand)
        XCTAssertEqual(BCDIRampShift.sense(of: upwards.map { $0 &+ SIMD3(5, 0, 0) }, closed: false, winding: winding), 0)
    }

    /// An oblique screw line under a ramp of 0.3 rad/voxel along x, blurred by σ = 1.2, no
    /// noise: its residue chain smoothed lies ≈ σ² |g × t̂| ≈ 0.42 voxel aside along g × t̂ (an
    /// oblique line, so that its cells step across the grid and their average places it within
    /// a cell); with the ramp's shift undone it lies on the truth.
    func testBlurredLineUnderARampComesBack() {
        let sigma = 1.2, g = SIMD3<Double>(0.3, 0, 0)
        let p0 = SIMD3<Double>(17.3, 17.6, 17.5), d = BCDIVec.normalized(SIMD3<Double>(0.3, 0.15, 1))
        let spec = BCDISyntheticSpec(shape: BCDIShape(nz: 36, ny: 36, nx: 36), crystal: .sphere(radius: 14),
                                     dislocations: [BCDIDislocation(.straight(point: p0, direction: d), burgers: d * (2 * Double.pi / 40))],
                                     blurSigma: sigma, noise: 0, ramp: g, coreDip: 0.8, coreWidth: 0.5)
        let v = BCDISynthetic.make(spec)
        let phase = zip(v.re, v.im).map { atan2f($1, $0) }
        let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
        guard let chain = BCDIResidueChains.chains(residues).max(by: { $0.count < $1.count }) else { return XCTFail("no residues") }
        // Across the line: along g × d (where the ramp moves it) and along d × (g × d).
        let across = BCDIVec.normalized(SIMD3(g.y * d.z - g.z * d.y, g.z * d.x - g.x * d.z, g.x * d.y - g.y * d.x))
        let other = SIMD3(d.y * across.z - d.z * across.y, d.z * across.x - d.x * across.z, d.x * across.y - d.y * across.x)
        func offset(_ pull: SIMD3<Double>) -> SIMD2<Double> {
            let pieces = BCDIResidueChains.pieces(chain, residues: residues, spurLength: 3, smoothing: 2, variance: { _ in 0.2 }, rampPull: pull)
            let pts = (pieces.max { $0.cells.count < $1.cells.count }?.refined ?? []).filter { abs(BCDIVec.dot($0 - p0, d)) < 8 }
            XCTAssertGreaterThan(pts.count, 10)
            let sum = pts.reduce(SIMD2<Double>.zero) { $0 + SIMD2(BCDIVec.dot($1 - p0, across), BCDIVec.dot($1 - p0, other)) }
            return sum / Double(max(1, pts.count))
        }
        let plain = offset(.zero), undone = offset(g * (sigma * sigma))
        print("oblique screw line under a ramp 0.3 along x, σ 1.2: offset along g × t̂ / across \(plain), ramp shift undone \(undone)")
        XCTAssertGreaterThan(abs(plain.x), 0.3, "the blur moved the line along g × t̂")
        XCTAssertLessThan(abs(plain.y), 0.15, "not the other way")
        XCTAssertLessThan(abs(undone.x), 0.3 * abs(plain.x), "moved back")
        XCTAssertLessThan(abs(undone.y), 0.15)
    }

    /// A loop of R = 5 in the xy plane under a ramp of ±0.3 rad/voxel along its normal, blurred
    /// by σ = 1.2: the ramp grows the loop one way and shrinks it the other (scipy: ±0.40 at
    /// σ 1.5); with the blur's pull undone (`unshrink`) alone the two stay ≈ 2σ²|g| apart, with
    /// the ramp's shift undone too both come back to the radius within 0.3.
    func testLoopUnderARampIsNotPushedOut() {
        let radius = 5.0, sigma = 1.2
        let centre = SIMD3<Double>(17.6, 17.3, 17.45)
        let loop = (0..<48).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 48
            return centre + SIMD3(radius * cos(t), radius * sin(t), 0)
        }
        func radii(_ gz: Double) -> (blur: Double, both: Double) {
            let g = SIMD3<Double>(0, 0, gz)
            let spec = BCDISyntheticSpec(shape: BCDIShape(nz: 36, ny: 36, nx: 36), crystal: .sphere(radius: 14),
                                         dislocations: [BCDIDislocation(.polyline(loop, closed: true), burgers: SIMD3(0, 0, 2 * Double.pi / 40))],
                                         blurSigma: sigma, noise: 0, ramp: g, coreDip: 0.8, coreWidth: 0.5)
            let v = BCDISynthetic.make(spec)
            let phase = zip(v.re, v.im).map { atan2f($1, $0) }
            let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
            let chain = BCDIResidueChains.chains(residues).max { $0.count < $1.count }!
            func meanRadius(_ pull: SIMD3<Double>) -> Double {
                let pieces = BCDIResidueChains.pieces(chain, residues: residues, spurLength: 3, smoothing: 2, variance: { _ in 0.2 },
                                                      blur: sigma, rampPull: pull)
                XCTAssertEqual(pieces.count, 1)
                let pts = pieces.first?.refined ?? []
                return pts.map { p in ((p.x - centre.x) * (p.x - centre.x) + (p.y - centre.y) * (p.y - centre.y)).squareRoot() }
                    .reduce(0, +) / Double(max(1, pts.count))
            }
            return (meanRadius(.zero), meanRadius(g * (sigma * sigma)))
        }
        let up = radii(0.3), down = radii(-0.3)
        // The step's cost: the undoing (sense from the residues, a move per point) on this loop.
        let points = (0..<48).map { k -> SIMD3<Double> in loop[k] + SIMD3(0.1 * Double(k % 3), 0, 0) }
        let start = DispatchTime.now().uptimeNanoseconds
        var moved = 0.0
        for _ in 0..<1000 { moved += BCDIRampShift.undo(points, closed: true, sense: 1, pull: SIMD3(0, 0, 0.43))[7].x }
        let micro = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / 1000
        print(String(format: "BCDIRampShift.undo on a 48-point loop: %.2f µs (%.1f)", micro, moved / 1000))
        print("loop R 5, σ 1.2, ramp ±0.3 along its normal: unshrink only \(up.blur) / \(down.blur), ramp shift undone too \(up.both) / \(down.both)")
        XCTAssertGreaterThan(abs(up.blur - down.blur), 0.6, "the ramp moved the two loops apart")
        XCTAssertLessThan(abs(up.both - down.both), 0.25 * abs(up.blur - down.blur), "the ramp's move undone")
        XCTAssertEqual(up.both, radius, accuracy: 0.3)
        XCTAssertEqual(down.both, radius, accuracy: 0.3)
    }
}
