import Foundation
import Kernels
import Shared

/// A `bcdi` shard: Ψ of one volume or z-slab, written to its slab file, which it hands the
/// merge.
enum BCDIShard {
    static func run(_ payload: BCDITaskPayload, options: BCDIJobOptions, context: KindContext) throws -> ShardResult<BCDIShardOutput> {
        if let message = payload.error {
            // Found at planning; a retry re-runs the same plan, so a repaired file needs a new job.
            throw TaskError("volume \(payload.volumeIndex): \(message) (found when the job was planned: after repairing the file, submit the job again)")
        }
        let file = try context.input(payload.file)
        let source = try BCDIVolumeSource(path: file, dataset: payload.dataset)
        guard source.shape == payload.shape else {
            throw TaskError("\(source.label): shape is now \(source.shape), was \(payload.shape) when the job was planned; resubmit the job")
        }
        let slabFile = try context.output.check(payload.slabFile)
        let contextFile = try context.output.check(BCDIPaths.context(context.output.path, volume: payload.volumeIndex, member: payload.member))
        let slab = try BCDISlabComputation.compute(source, options: options, z: payload.z0..<payload.z1, contextFile: contextFile)
        try BCDISlabComputation.write(slab, to: slabFile)
        return ShardResult(output: BCDIShardOutput(slabFile: slabFile))
    }
}
