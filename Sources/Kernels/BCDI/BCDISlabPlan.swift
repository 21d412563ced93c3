/// How a volume is cut into z-slabs for sharding: each task reads `read` planes (its output
/// planes plus up to α halo planes each side, clipped at the array) and computes `output`.
///
/// Running `BCDIPsi.compute` on the `read` planes as a volume of their own, with
/// `zRange: localOutput`, gives exactly the unsharded result for `output`: the halo supplies
/// every neighbour, and the clipped sides are the array border in both runs.
public struct BCDISlab: Hashable, Sendable {
    /// Planes to read from the full volume.
    public var read: Range<Int>
    /// Planes this slab is responsible for, in full-volume indices.
    public var output: Range<Int>
    /// `output` relative to `read.lowerBound`.
    public var localOutput: Range<Int> { (output.lowerBound - read.lowerBound)..<(output.upperBound - read.lowerBound) }

    public init(read: Range<Int>, output: Range<Int>) {
        self.read = read
        self.output = output
    }

    /// Slabs of at most `depth` output planes covering 0..<nz.
    public static func plan(nz: Int, depth: Int, alpha: Int = 1) -> [BCDISlab] {
        precondition(depth > 0 && alpha >= 0, "depth must be > 0 and alpha ≥ 0")
        return Swift.stride(from: 0, to: nz, by: depth).map { z0 in
            let z1 = min(nz, z0 + depth)
            return BCDISlab(read: max(0, z0 - alpha)..<min(nz, z1 + alpha), output: z0..<z1)
        }
    }
}
