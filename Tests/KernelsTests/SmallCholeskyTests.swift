import Kernels
import XCTest

/// `SmallCholesky` against the definitions: L Lᵀ equals the matrix plus its ridge, the solves
/// satisfy their equations, and a matrix that is not positive definite is refused.
final class SmallCholeskyTests: XCTestCase {
    func testFactorAndSolvesOnRandomPositiveMatrices() {
        var rng = SeededRandom(seed: 17)
        for k in [1, 2, 3, 7, 16] {
            // A = Bᵀ B + I: symmetric positive definite.
            let b = (0..<(k * k)).map { _ in Double.random(in: -1...1, using: &rng) }
            var a = [Double](repeating: 0, count: k * k)
            for i in 0..<k { for j in 0..<k {
                a[i * k + j] = (0..<k).reduce(i == j ? 1.0 : 0.0) { $0 + b[$1 * k + i] * b[$1 * k + j] }
            } }
            let ridge = 0.25
            let l = try! XCTUnwrap(SmallCholesky.factor(a, size: k, ridge: ridge))
            for i in 0..<k {
                for j in 0..<k {
                    if j > i { XCTAssertEqual(l[i * k + j], 0, "upper triangle, k \(k)") }
                    let llt = (0..<k).reduce(0.0) { $0 + l[i * k + $1] * l[j * k + $1] }
                    XCTAssertEqual(llt, a[i * k + j] + (i == j ? ridge : 0), accuracy: 1e-10, "L Lᵀ, k \(k) (\(i), \(j))")
                }
            }
            let rhs = (0..<k).map { _ in Double.random(in: -5...5, using: &rng) }
            let x = SmallCholesky.solve(l, size: k, rhs)
            for i in 0..<k {
                let ax = (0..<k).reduce(0.0) { $0 + (a[i * k + $1] + (i == $1 ? ridge : 0)) * x[$1] }
                XCTAssertEqual(ax, rhs[i], accuracy: 1e-9, "solve, k \(k)")
            }
            let z = SmallCholesky.forward(l, size: k, rhs)
            for i in 0..<k {
                let lz = (0...i).reduce(0.0) { $0 + l[i * k + $1] * z[$1] }
                XCTAssertEqual(lz, rhs[i], accuracy: 1e-9, "forward, k \(k)")
            }
        }
    }

    func testANonPositiveMatrixIsRefused() {
        // Eigenvalues 3 and −1.
        XCTAssertNil(SmallCholesky.factor([1, 2, 2, 1], size: 2, ridge: 0))
        XCTAssertNil(SmallCholesky.factor([0, 0, 0, 0], size: 2, ridge: 0), "singular without a ridge")
        XCTAssertNotNil(SmallCholesky.factor([0, 0, 0, 0], size: 2, ridge: 1e-12), "the ridge makes it positive")
    }
}
