import XCTest
@testable import Kernels

final class BCDIDerivativeTests: XCTestCase {
    func testVortexCoreAgreesWithPsi() {
        let shape = BCDIShape(nz: 4, ny: 12, nx: 12)
        let phase = (0..<shape.count).map { i -> Float in
            let (x, y, _) = shape.coordinates(of: i)
            return Float(atan2(Double(y) - 5.5, Double(x) - 5.5) + 0.1 * Double(x))
        }
        let support = [UInt8](repeating: 1, count: shape.count)
        let core = BCDIDerivativeMethod.detect(phase: phase, support: support, shape: shape, offsets: 36)
        let psi = BCDIPsi.compute(phase: phase, support: support, shape: shape)
        for z in 0..<shape.nz {
            for (x, y) in [(5, 5), (6, 5), (5, 6), (6, 6)] {
                XCTAssertEqual(core[shape.index(x: x, y: y, z: z)], 1)
            }
        }
        // Flagged voxels are those next to the core; Ψ > 4 there too.
        for i in 0..<shape.count where core[i] != 0 {
            let (x, y, _) = shape.coordinates(of: i)
            XCTAssertLessThanOrEqual(max(abs(Double(x) - 5.5), abs(Double(y) - 5.5)), 1.5)
            XCTAssertGreaterThan(psi[i], 3)
        }
        // Smooth phase: nothing.
        let smooth = (0..<shape.count).map { Float($0 % shape.nx) * 0.2 }
        XCTAssertEqual(BCDIDerivativeMethod.detect(phase: smooth, support: support, shape: shape, offsets: 36).max(), 0)
    }
}
