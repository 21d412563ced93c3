import Kernels
import XCTest

/// `Selection.select` against sorting, on awkward inputs: one value, ties, sorted and reversed
/// runs, odd and even counts, Float and Double.
final class SelectionTests: XCTestCase {
    func check<T: Comparable>(_ values: [T], _ what: String) {
        let sorted = values.sorted()
        for k in Set([0, values.count / 2, (values.count - 1) / 2, values.count - 1]) {
            var v = values
            let got = Selection.select(&v, k)
            XCTAssertEqual(got, sorted[k], "\(what): rank \(k) of \(values.count)")
            XCTAssertEqual(v[k], sorted[k], "\(what): the rank-\(k) value in place")
            XCTAssertTrue(v[..<k].allSatisfy { $0 <= v[k] } && v[(k + 1)...].allSatisfy { $0 >= v[k] }, "\(what): partitioned at \(k)")
            XCTAssertEqual(v.sorted(), sorted, "\(what): a reordering")
        }
    }

    func testRanksEqualSortingOnAwkwardInputs() {
        var rng = SeededRandom(seed: 11)
        for n in [1, 2, 3, 7, 16, 31, 64, 257] {
            let random = (0..<n).map { _ in Float(rng.gaussian()) }
            check(random, "random Float")
            check(random.map(Double.init), "random Double")
            check(random.sorted(), "sorted")
            check(Array(random.sorted().reversed()), "reversed")
            check((0..<n).map { Float($0 % 3) }, "ties")
            check([Float](repeating: 5, count: n), "all equal")
        }
    }

    func testTheBufferFormSelectsInPlace() {
        var v: [Float] = [9, 1, 8, 2, 7, 3, 6, 4, 5]
        let median = v.withUnsafeMutableBufferPointer { Selection.select($0.baseAddress!, count: $0.count, 4) }
        XCTAssertEqual(median, 5)
        XCTAssertEqual(v[4], 5)
    }
}
