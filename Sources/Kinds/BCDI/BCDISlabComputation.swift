import Foundation
import Kernels
import Shared

/// Ψ, phase and support of planes `z0..<z1` of one volume: the work of one `bcdi` shard task.
///
/// Sharded and unsharded runs give identical results because the global steps — the support
/// from an amplitude threshold (threshold relative to the volume's maximum, enclosed holes
/// filled), the phase-ramp estimate and the centroid it is removed about — are always computed
/// on the whole volume (`BCDIVolumeContext`, cached per volume for the other slabs), and Ψ of
/// the slab is computed from its planes plus α halo planes each side (`BCDISlab`), which the
/// kernel guarantees equal to the unsharded result. When the file stores its support and ramp
/// removal is off, there is nothing global and a slab reads only its own planes.
public struct BCDISlabResult: Sendable, Equatable {
    public var shape: [Int]
    public var z0: Int
    public var z1: Int
    /// Planes z0..<z1, C order.
    public var psi: [Float]
    public var phase: [Float]
    public var support: [UInt8]
    /// The phase ramp removed, rad/voxel `[gx, gy, gz]`.
    public var ramp: [Double]
    /// Where the support came from: `stored` or `amplitude`.
    public var maskSource: String
    /// Planes z0..<z1 of the support's voxels that the notch fill added (nil when
    /// `support_notches` is off, or in a slab file written before they were stored).
    public var filled: [UInt8]? = nil
    /// Planes z0..<z1 of the precision of a zero's position (`BCDILineSmoothing.precisionMap`;
    /// nil when `line_smoothing` is off or the noise was not measured).
    public var precision: [Float]? = nil
    /// The blur still in the field the phase was taken from (`BCDIVolumeAnalysis.fieldBlur`), for
    /// `line_smoothing=residue_noise_blur`; nil when the precision map is not stored.
    public var fieldBlur: Double? = nil
    /// The blur that acted while the ramp was in the field (`BCDIRampShift.width`), for
    /// `line_smoothing=residue_noise_blur_ramp`; nil when the precision map is not stored.
    public var rampBlur: Double? = nil
}

public enum BCDISlabComputation {
    /// Computes the slab `z` of `source` under `options`. `contextFile` caches what the
    /// slabs of one volume share (`BCDIVolumeContext`); nil computes it every time.
    public static func compute(_ source: BCDIVolumeSource, options: BCDIJobOptions, z: Range<Int>, contextFile: String? = nil) throws -> BCDISlabResult {
        let nz = source.shape[0], ny = source.shape[1], nx = source.shape[2]
        let plane = ny * nx
        let full = BCDIShape(nz: nz, ny: ny, nx: nx)
        var phase: [Float], support: [UInt8], ramp = SIMD3<Double>.zero
        var filled: [UInt8]? = nil
        var precision: [Float]? = nil
        var fieldBlur: Double? = nil
        var rampBlur: Double? = nil
        var read: Range<Int>
        let stored = source.maskDataset != nil
        if stored && !options.removeRamp && options.snr == 0 && !options.deblur {
            // Nothing global to compute (stored support, no ramp, no noise trimming): read only this slab's planes.
            read = halo(z, planes: options.method == "derivative" ? nz : options.alpha, nz: nz)
            let (re, im) = try source.readPlanes(read)
            support = try source.readMask(read) ?? []
            phase = BCDIVolumeContext.phase(re: re, im: im, shape: full, firstPlane: read.lowerBound, ramp: .zero, centroid: .zero)
        } else {
            let key = BCDIVolumeContext.key(source, options: options)
            var context: BCDIVolumeContext? = nil
            var fullField: (re: [Float], im: [Float])? = nil
            if let contextFile, let cached = BCDIVolumeContext.load(contextFile, key: key, shape: full) {
                context = cached
            } else {
                let (fullRe, fullIm) = try source.readPlanes(0..<nz)
                let computed = try BCDIVolumeContext.compute(re: fullRe, im: fullIm, source: source, options: options, shape: full)
                if let contextFile, z.count < nz { try computed.save(contextFile, key: key, shape: full) }
                context = computed
                fullField = (fullRe, fullIm)
            }
            let ctx = context!
            // The denoising smoothing reaches `radius` planes beyond those Ψ reads.
            var reach = options.alpha + (ctx.smoothing > 0 ? BCDIComplexSmoothing.radius(sigma: ctx.smoothing) : 0)
            // The position noise takes central differences of the smoothed field: one plane more.
            let positionNoise = options.lineSmoothing != .off && ctx.sigma > 0
            if positionNoise {
                reach = max(reach, (ctx.smoothing > 0 ? BCDIComplexSmoothing.radius(sigma: ctx.smoothing) : 0) + 1)
                fieldBlur = BCDIVolumeAnalysis.fieldBlur(blur: ctx.blur, inverted: ctx.inverted, smoothing: ctx.smoothing)
                rampBlur = BCDIRampShift.width(blur: ctx.blur, inverted: ctx.inverted)
            }
            read = halo(z, planes: options.method == "derivative" ? nz : reach, nz: nz)
            let planes = (read.lowerBound * plane)..<(read.upperBound * plane)
            let re: [Float], im: [Float]
            if ctx.inverted > 0, let f = ctx.field {
                // The deconvolved field, computed by this task.
                (re, im) = read.count == nz ? (f.re, f.im) : (Array(f.re[planes]), Array(f.im[planes]))
            } else if ctx.inverted > 0, let contextFile {
                (re, im) = try BCDIVolumeContext.deblurredPlanes(contextFile, planes: read)
            } else if let f = fullField {
                (re, im) = read.count == nz ? (f.re, f.im) : (Array(f.re[planes]), Array(f.im[planes]))
            } else {
                (re, im) = try source.readPlanes(read)
            }
            ramp = ctx.ramp
            support = read.count == nz ? ctx.support : Array(ctx.support[planes])
            filled = ctx.filled.map { read.count == nz ? $0 : Array($0[planes]) }
            let readShape = BCDIShape(nz: read.count, ny: ny, nx: nx)
            if ctx.smoothing > 0 {
                let f = BCDIDenoising.field(re: re, im: im, support: support, shape: full, firstPlane: read.lowerBound,
                                            ramp: ctx.ramp, centroid: ctx.centroid, sigma: ctx.smoothing)
                phase = zip(f.re, f.im).map { atan2f($1, $0) }
                if positionNoise {
                    precision = BCDILineSmoothing.precisionMap(re: f.re, im: f.im, shape: readShape,
                                                               noise: ctx.sigma / BCDIComplexSmoothing.noiseReduction(sigma: ctx.smoothing))
                }
            } else {
                phase = BCDIVolumeContext.phase(re: re, im: im, shape: full, firstPlane: read.lowerBound, ramp: ctx.ramp, centroid: ctx.centroid)
                if positionNoise { precision = BCDILineSmoothing.precisionMap(re: re, im: im, shape: readShape, noise: ctx.sigma) }
            }
        }
        let sub = BCDIShape(nz: read.count, ny: ny, nx: nx)
        let local = (z.lowerBound - read.lowerBound)..<(z.upperBound - read.lowerBound)
        let psi: [Float]
        if options.method == "derivative" {
            // The reference method marks core voxels; they are stored as Ψ = 2π (others 0).
            let cores = BCDIDerivativeMethod.detect(phase: phase, support: support, shape: sub, alpha: max(1, options.alpha))
            psi = Array(cores[(local.lowerBound * plane)..<(local.upperBound * plane)].map { $0 != 0 ? 2 * Float.pi : 0 })
        } else {
            psi = BCDIPsi.compute(phase: phase, support: support, shape: sub, alpha: options.alpha, zRange: local)
        }
        let out = (local.lowerBound * plane)..<(local.upperBound * plane)
        return BCDISlabResult(
            shape: source.shape, z0: z.lowerBound, z1: z.upperBound, psi: psi, phase: Array(phase[out]),
            support: Array(support[out]), ramp: [ramp.x, ramp.y, ramp.z], maskSource: stored ? "stored" : "amplitude",
            filled: filled.map { Array($0[out]) }, precision: precision.map { Array($0[out]) }, fieldBlur: precision != nil ? fieldBlur : nil,
            rampBlur: precision != nil ? rampBlur : nil)
    }

    /// The planes `z` plus `planes` halo planes each side, clipped to the volume.
    static func halo(_ z: Range<Int>, planes: Int, nz: Int) -> Range<Int> {
        max(0, z.lowerBound - planes)..<min(nz, z.upperBound + planes)
    }

    /// Writes a slab file (`/psi`, `/phase` float32, `/support` uint8 of shape
    /// `[z1 − z0, ny, nx]`, `/ramp` float64 [3], `/z0`; `/filled` uint8, gzip, when the notch
    /// fill ran; `/precision`, `/field_blur` and `/ramp_blur` when the line smoothing stores them) atomically.
    public static func write(_ slab: BCDISlabResult, to path: String) throws {
        let shape = [slab.z1 - slab.z0, slab.shape[1], slab.shape[2]]
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(slab.psi, shape: shape, to: "/psi")
            try file.write(slab.phase, shape: shape, to: "/phase")
            try file.write(slab.support, shape: shape, to: "/support")
            try file.write(slab.ramp, shape: [3], to: "/ramp")
            try file.write([Int64(slab.z0), Int64(slab.z1)] + slab.shape.map(Int64.init), shape: [5], to: "/extent")
            try file.write([UInt8(slab.maskSource == "stored" ? 1 : 0)], shape: [1], to: "/stored_mask")
            if let filled = slab.filled { try file.write(filled, shape: shape, to: "/filled", options: .gzip(level: 1)) }
            if let precision = slab.precision { try file.write(precision, shape: shape, to: "/precision") }
            if let fieldBlur = slab.fieldBlur { try file.write([fieldBlur], shape: [1], to: "/field_blur") }
            if let rampBlur = slab.rampBlur { try file.write([rampBlur], shape: [1], to: "/ramp_blur") }
            try file.close()
        }
    }

    /// Reads a slab file written by `write`.
    public static func read(_ path: String) throws -> BCDISlabResult {
        let file = try HDF5File.open(path: path)
        defer { try? file.close() }
        let extent = try file.dataset("/extent").read(Int64.self).map(Int.init)
        guard extent.count == 5 else {
            throw FormatError(.corrupt, file: path, dataset: "/extent", problem: "expected 5 values, found \(extent.count)")
        }
        let stored = try file.dataset("/stored_mask").read(UInt8.self).first == 1
        let filled = file.containsDataset("/filled") ? try file.dataset("/filled").read(UInt8.self) : nil
        let precision = file.containsDataset("/precision") ? try file.dataset("/precision").read(Float.self) : nil
        let fieldBlur = file.containsDataset("/field_blur") ? try file.dataset("/field_blur").read(Double.self).first : nil
        let rampBlur = file.containsDataset("/ramp_blur") ? try file.dataset("/ramp_blur").read(Double.self).first : nil
        return BCDISlabResult(
            shape: Array(extent[2...]), z0: extent[0], z1: extent[1],
            psi: try file.dataset("/psi").read(Float.self), phase: try file.dataset("/phase").read(Float.self),
            support: try file.dataset("/support").read(UInt8.self), ramp: try file.dataset("/ramp").read(Double.self),
            maskSource: stored ? "stored" : "amplitude", filled: filled, precision: precision, fieldBlur: fieldBlur,
            rampBlur: rampBlur)
    }
}
