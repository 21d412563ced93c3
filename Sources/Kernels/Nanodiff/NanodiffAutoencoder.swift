import Foundation

/// A small autoencoder (dims → hidden → code → hidden → dims, tanh hidden layers, linear code
/// and output) trained on the CPU by full-batch Adam on the mean squared reconstruction error:
/// the learned alternative to PCA for embedding the position descriptors, kept to compare the
/// two (`ctl bench nanodiff --quality`). Inputs should be standardised (as `NanodiffEmbedding.pca`
/// does). Deterministic from its seed.
public struct NanodiffAutoencoder: Sendable {
    public let dims: Int, hidden: Int, code: Int
    /// Layers: weights row-major [out][in] and biases.
    var w: [[Double]], b: [[Double]]

    var sizes: [(Int, Int)] { [(dims, hidden), (hidden, code), (code, hidden), (hidden, dims)] }

    public init(dims: Int, hidden: Int = 8, code: Int = 3, seed: UInt64 = 1) {
        self.dims = dims; self.hidden = hidden; self.code = code
        var rng = SeededRandom(seed: seed)
        let sizes = [(dims, hidden), (hidden, code), (code, hidden), (hidden, dims)]
        w = sizes.map { (i, o) in (0..<(i * o)).map { _ in rng.gaussian() / Double(i).squareRoot() } }
        b = sizes.map { (_, o) in [Double](repeating: 0, count: o) }
    }

    /// Activations of every layer for one input (index 0 the input).
    func forward(_ x: ArraySlice<Double>) -> [[Double]] {
        var acts = [Array(x)]
        for (l, (i, o)) in sizes.enumerated() {
            let a = acts[l]
            var out = b[l]
            for r in 0..<o { var s = out[r]; for c in 0..<i { s += w[l][r * i + c] * a[c] }; out[r] = s }
            if l == 0 || l == 2 { out = out.map { tanh($0) } }
            acts.append(out)
        }
        return acts
    }

    /// Trains on the `n` rows of `x` (row-major, `dims` wide); returns the final mean squared error.
    @discardableResult
    public mutating func train(_ x: [Double], rows n: Int, epochs: Int = 400, rate: Double = 0.01) -> Double {
        var m = w.map { [Double](repeating: 0, count: $0.count) }, v = m
        var mb = b.map { [Double](repeating: 0, count: $0.count) }, vb = mb
        var loss = 0.0
        for epoch in 1...max(1, epochs) {
            var gw = w.map { [Double](repeating: 0, count: $0.count) }, gb = b.map { [Double](repeating: 0, count: $0.count) }
            loss = 0
            for r in 0..<n {
                let row = x[(r * dims)..<((r + 1) * dims)]
                let acts = forward(row)
                var delta = zip(acts[4], row).map { $0 - $1 }
                loss += delta.reduce(0) { $0 + $1 * $1 }
                for l in stride(from: 3, through: 0, by: -1) {
                    let (i, o) = sizes[l]
                    let input = acts[l]
                    for rr in 0..<o {
                        gb[l][rr] += delta[rr]
                        for c in 0..<i { gw[l][rr * i + c] += delta[rr] * input[c] }
                    }
                    guard l > 0 else { break }
                    var back = [Double](repeating: 0, count: i)
                    for c in 0..<i { var s = 0.0; for rr in 0..<o { s += w[l][rr * i + c] * delta[rr] }; back[c] = s }
                    // Layers 0 and 2 are tanh: scale by 1 − a².
                    if l - 1 == 0 || l - 1 == 2 { back = zip(back, input).map { $0 * (1 - $1 * $1) } }
                    delta = back
                }
            }
            let scale = 1 / Double(max(1, n))
            let b1 = 0.9, b2 = 0.999, eps = 1e-8
            let c1 = 1 - pow(b1, Double(epoch)), c2 = 1 - pow(b2, Double(epoch))
            for l in 0..<4 {
                for k in 0..<w[l].count {
                    let g = gw[l][k] * scale
                    m[l][k] = b1 * m[l][k] + (1 - b1) * g; v[l][k] = b2 * v[l][k] + (1 - b2) * g * g
                    w[l][k] -= rate * (m[l][k] / c1) / ((v[l][k] / c2).squareRoot() + eps)
                }
                for k in 0..<b[l].count {
                    let g = gb[l][k] * scale
                    mb[l][k] = b1 * mb[l][k] + (1 - b1) * g; vb[l][k] = b2 * vb[l][k] + (1 - b2) * g * g
                    b[l][k] -= rate * (mb[l][k] / c1) / ((vb[l][k] / c2).squareRoot() + eps)
                }
            }
            loss *= scale / Double(dims)
        }
        return loss
    }

    /// The codes of the `n` rows of `x` (`n`×`code`).
    public func encode(_ x: [Double], rows n: Int) -> [Double] {
        (0..<n).flatMap { forward(x[($0 * dims)..<(($0 + 1) * dims)])[2] }
    }
}
