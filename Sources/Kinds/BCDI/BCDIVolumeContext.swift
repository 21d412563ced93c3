import Foundation
import Kernels
import Shared

/// What every slab of a volume needs from the whole volume: the support (stored, or from the
/// amplitude threshold with holes filled), the phase ramp and the support's centroid (the
/// ramp is removed about it). Computed once per volume by the first slab task that needs it
/// and cached next to the slab files, so that the other slabs read only their own planes.
///
/// The cache is keyed by the input file (path, size, modification time), the dataset and
/// the options that shape it, so a shared `output_dir` never serves a stale context.
struct BCDIVolumeContext: Sendable {
    var support: [UInt8]
    var ramp: SIMD3<Double>
    var centroid: SIMD3<Double>
    /// Width of the denoising smoothing (`BCDIDenoising`), voxels; 0 for none.
    var smoothing: Double = 0

    /// From the whole volume; the same ramp and centroid as `BCDIPhaseRamp` computes unsharded.
    static func compute(re: [Float], im: [Float], source: BCDIVolumeSource, options: BCDIJobOptions, shape: BCDIShape) throws -> BCDIVolumeContext {
        let stored = try source.readMask(0..<shape.nz)
        let settings = options.analysisSettings
        let (support, ramp, _, smoothing) = BCDIVolumeAnalysis.prepare(re: re, im: im, storedSupport: stored, shape: shape, settings: settings)
        return BCDIVolumeContext(support: support, ramp: ramp, centroid: BCDIPhaseRamp.supportCentroid(support, shape: shape), smoothing: smoothing)
    }

    /// The phase of planes `firstPlane ..< firstPlane + re.count / plane`, ramp removed:
    /// element for element what `BCDIPhaseRamp.phase` gives for the whole volume.
    static func phase(re: [Float], im: [Float], shape: BCDIShape, firstPlane: Int, ramp g: SIMD3<Double>, centroid c: SIMD3<Double>) -> [Float] {
        var out = [Float](repeating: 0, count: re.count)
        let offset = firstPlane * shape.planeCount
        for k in 0..<re.count {
            let (x, y, z) = shape.coordinates(of: k + offset)
            let r = SIMD3(Double(x), Double(y), Double(z)) - c
            let t = atan2(Double(im[k]), Double(re[k])) - (g * r).sum()
            out[k] = Float(remainder(t, 2 * Double.pi))
        }
        return out
    }

    /// Identifies the input and the options the context depends on.
    static func key(_ source: BCDIVolumeSource, options: BCDIJobOptions) -> [UInt8] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: source.path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        let text = "v1|\(source.path)|\(size)|\(modified)|\(source.dataset ?? "")|\(source.shape)|\(source.maskDataset ?? "amplitude:\(options.amplitudeThreshold)")|ramp:\(options.removeRamp)|snr:\(options.snr)|phase_noise:\(options.phaseNoise)|v4"
        return Array(text.utf8)
    }

    /// The cached context at `path` if it was made for `key`.
    static func load(_ path: String, key: [UInt8], shape: BCDIShape) -> BCDIVolumeContext? {
        guard FileManager.default.fileExists(atPath: path), let file = try? HDF5File.open(path: path) else { return nil }
        defer { try? file.close() }
        guard let stored = try? file.dataset("/key").read(UInt8.self), stored == key,
              let support = try? file.dataset("/support").read(UInt8.self), support.count == shape.count,
              let values = try? file.dataset("/ramp_centroid").read(Double.self), values.count == 7 else { return nil }
        return BCDIVolumeContext(support: support, ramp: SIMD3(values[0], values[1], values[2]), centroid: SIMD3(values[3], values[4], values[5]),
                                 smoothing: values[6])
    }

    /// Caches this context at `path` (atomically; a concurrent writer writes the same bytes).
    func save(_ path: String, key: [UInt8], shape: BCDIShape) throws {
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(key, shape: [key.count], to: "/key")
            try file.write(support, shape: [shape.nz, shape.ny, shape.nx], to: "/support", options: .gzip(level: 1))
            try file.write([ramp.x, ramp.y, ramp.z, centroid.x, centroid.y, centroid.z, smoothing], shape: [7], to: "/ramp_centroid")
            try file.close()
        }
    }
}
