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
    /// The blur measured from the surface and the width the deconvolution inverted
    /// (`BCDIVolumeAnalysis.deblur`); 0 for none.
    var blur: Double = 0
    var inverted: Double = 0
    /// The deconvolved field when `inverted > 0` and this context was computed (not loaded):
    /// every step after the deconvolution uses it instead of the file's field. A loaded
    /// context reads its planes from the cache (`deblurredPlanes`).
    var field: (re: [Float], im: [Float])? = nil
    /// The support's voxels that the notch fill added (`BCDIVolumeAnalysis.prepareFilled`; nil
    /// when `support_notches` is off), for `fill_ends` in the merge.
    var filled: [UInt8]? = nil
    /// The noise σ of the field the phase is taken from, before the denoising smoothing (for
    /// `line_smoothing`'s position noise).
    var sigma: Double = 0

    /// From the whole volume; the same deconvolution, ramp and centroid as
    /// `BCDIVolumeAnalysis.run` computes unsharded.
    static func compute(re: [Float], im: [Float], source: BCDIVolumeSource, options: BCDIJobOptions, shape: BCDIShape) throws -> BCDIVolumeContext {
        let settings = options.analysisSettings
        let stored = BCDIVolumeAnalysis.supportCandidate(stored: try source.readMask(0..<shape.nz), re: re, im: im, shape: shape,
                                                         settings: settings)
        let d = BCDIVolumeAnalysis.deblur(re: re, im: im, storedSupport: stored, shape: shape, settings: settings)
        let (support, ramp, sigma, smoothing, filled) = BCDIVolumeAnalysis.prepareFilled(re: d.re, im: d.im, storedSupport: d.support, shape: shape,
                                                                                     settings: settings, noiseSigma: d.sigma)
        return BCDIVolumeContext(support: support, ramp: ramp, centroid: BCDIPhaseRamp.supportCentroid(support, shape: shape), smoothing: smoothing,
                                 blur: d.blur, inverted: d.inverted, field: d.inverted > 0 ? (d.re, d.im) : nil, filled: filled,
                                 sigma: sigma)
    }

    /// Planes `planes` of the deconvolved field cached at `path` by `save`.
    static func deblurredPlanes(_ path: String, planes: Range<Int>) throws -> (re: [Float], im: [Float]) {
        let file = try HDF5File.open(path: path)
        defer { try? file.close() }
        return (try file.dataset("/deblurred_re").read(Float.self, ranges: [planes]),
                try file.dataset("/deblurred_im").read(Float.self, ranges: [planes]))
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
        let text = "v1|\(source.path)|\(size)|\(modified)|\(source.dataset ?? "")|\(source.shape)|\(source.maskDataset ?? "amplitude:\(options.amplitudeThreshold)")|ramp:\(options.removeRamp)|snr:\(options.snr)|phase_noise:\(options.phaseNoise)|deblur:\(options.deblur):\(options.deblurResidual):\(options.blurEstimator.rawValue):\(options.deblurSurface.rawValue):\(options.deblurBand):\(options.deblurMeasuredNoise)|support_body:\(options.supportBody)|support_notches:\(options.supportNotches)|v8"
        return Array(text.utf8)
    }

    /// The cached context at `path` if it was made for `key`.
    static func load(_ path: String, key: [UInt8], shape: BCDIShape) -> BCDIVolumeContext? {
        guard FileManager.default.fileExists(atPath: path), let file = try? HDF5File.open(path: path) else { return nil }
        defer { try? file.close() }
        guard let stored = try? file.dataset("/key").read(UInt8.self), stored == key,
              let support = try? file.dataset("/support").read(UInt8.self), support.count == shape.count,
              let values = try? file.dataset("/ramp_centroid").read(Double.self), values.count == 10 else { return nil }
        if values[8] > 0 {
            guard let d = try? file.dataset("/deblurred_re"), d.shape == [shape.nz, shape.ny, shape.nx] else { return nil }
        }
        let filled = file.containsDataset("/filled")
            ? (try? file.dataset("/filled").read(UInt8.self)).flatMap { $0.count == shape.count ? $0 : nil } : nil
        return BCDIVolumeContext(support: support, ramp: SIMD3(values[0], values[1], values[2]), centroid: SIMD3(values[3], values[4], values[5]),
                                 smoothing: values[6], blur: values[7], inverted: values[8], filled: filled, sigma: values[9])
    }

    /// Caches this context at `path` (atomically; a concurrent writer writes the same bytes).
    func save(_ path: String, key: [UInt8], shape: BCDIShape) throws {
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(key, shape: [key.count], to: "/key")
            try file.write(support, shape: [shape.nz, shape.ny, shape.nx], to: "/support", options: .gzip(level: 1))
            try file.write([ramp.x, ramp.y, ramp.z, centroid.x, centroid.y, centroid.z, smoothing, blur, inverted, sigma], shape: [10],
                           to: "/ramp_centroid")
            if let filled { try file.write(filled, shape: [shape.nz, shape.ny, shape.nx], to: "/filled", options: .gzip(level: 1)) }
            if let field {
                try file.write(field.re, shape: [shape.nz, shape.ny, shape.nx], to: "/deblurred_re")
                try file.write(field.im, shape: [shape.nz, shape.ny, shape.nx], to: "/deblurred_im")
            }
            try file.close()
        }
    }
}
