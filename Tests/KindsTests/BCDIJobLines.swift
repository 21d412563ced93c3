import Foundation
import Kernels
import Kinds
import Shared

/// BCDI lines through the real job path: a file planned, every slab shard run, the slabs merged
/// as the merge task does, and the lines detected on the merged volume.
enum BCDIJobLines {
    /// The lines of the BCDI file at `path` with job parameters `params` (one slab per shard).
    static func detect(_ path: String, params: [String: String]) throws -> [BCDILine] {
        let harness = try KindHarness(BCDIKind(), input: path, params: params.merging(["slab_planes": "0"]) { $1 })
        let plan = try harness.plan()
        let slabs = try plan.shards.enumerated().map { index, payload in
            try BCDISlabComputation.read(try harness.runShard(payload, index: index).output.slabFile)
        }
        let volume = try BCDIMerge.assemble(slabs, file: path)
        return BCDIMerge.lines(of: volume, options: try BCDIJobOptions(JobParams(params)))
    }
}
