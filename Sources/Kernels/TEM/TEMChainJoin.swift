/// Joining chains of tracklets (a track's tracklets across pieces) pairwise, as the piece
/// linker's later passes do (`TEMCutAcrossPieces`, `TEMBoundaryPieces`): each pass finds its
/// candidate pairs by its own test, and this takes them greedily in the pass's order.
enum TEMChainJoin {
    /// `chains` with each pair's `from` chain folded into its `into` chain, the pairs taken in
    /// the order given (best first): a chain is folded into one other at most, a chain that
    /// took one in is not itself folded, and a chain folded away takes none in — so no join
    /// chains onto another. The result's chains, and the tracklets in each, are in order of
    /// first frame (then id), as the linker's own chains are.
    static func apply(_ pairs: [(into: Int, from: Int)], chains: [[Int]], tracklets: [TEMTracklet]) -> [[Int]] {
        var joinedInto = [Int?](repeating: nil, count: chains.count), tookIn = Set<Int>()
        for f in pairs where joinedInto[f.from] == nil && joinedInto[f.into] == nil && !tookIn.contains(f.from) && f.from != f.into {
            joinedInto[f.from] = f.into
            tookIn.insert(f.into)
        }
        guard joinedInto.contains(where: { $0 != nil }) else { return chains }
        func earlier(_ x: Int, _ y: Int) -> Bool {
            (tracklets[x].firstFrame, tracklets[x].id) < (tracklets[y].firstFrame, tracklets[y].id)
        }
        var out: [[Int]] = []
        for c in chains.indices where joinedInto[c] == nil {
            let members = [c] + chains.indices.filter { joinedInto[$0] == c }
            out.append(members.flatMap { chains[$0] }.sorted(by: earlier))
        }
        return out.sorted { earlier($0[0], $1[0]) }
    }
}
