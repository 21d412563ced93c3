import Foundation
import Kernels
import Shared

/// Small BCDI inputs written the way users bring them.
public enum BCDIFixtures {
    public static func temporaryDirectory(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-bcdi-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A demo crystal (screw, edge, loop) of `shape`.
    public static func volume(_ shape: BCDIShape, seed: UInt64 = 1) -> BCDISyntheticVolume {
        let radius = 0.42 * Double(min(shape.nx, min(shape.ny, shape.nz)))
        return BCDISynthetic.make(BCDISynthetic.demoSpec(shape: shape, radius: radius, seed: seed))
    }

    /// Draw `index` of the randomiser's `preset` at `seed`, as `ctl bench bcdi --accuracy` draws
    /// it, with its stored support applied, written as CXI (the support as its mask when the draw
    /// stores one) to `dir`/v.cxi.
    public static func writeAccuracyDraw(preset: String, seed: UInt64, index: Int, in dir: String) throws
        -> (volume: BCDISyntheticVolume, draw: BCDIRandomDraw, path: String) {
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(seed, index), ranges: BCDIRandomRanges.preset(preset)!)
        var v = BCDISynthetic.make(draw.spec)
        let stored = draw.supportError.apply(to: v.support, shape: v.shape)
        if let stored { v.support = stored }
        let path = "\(dir)/v.cxi"
        try writeCXI(v, to: path, mask: stored != nil)
        return (v, draw, path)
    }

    public static func interleaved(_ v: BCDISyntheticVolume) -> [Float] {
        var out = [Float](repeating: 0, count: 2 * v.shape.count)
        for i in 0..<v.shape.count {
            out[2 * i] = v.re[i]
            out[2 * i + 1] = v.im[i]
        }
        return out
    }

    /// Writes a CXI file: data at `dataset` (optionally with a leading modes axis), the
    /// support at /entry_1/image_1/mask when `mask` is set.
    public static func writeCXI(_ v: BCDISyntheticVolume, to path: String, dataset: String = "/entry_1/image_1/data", mask: Bool = true, modes: Int = 0) throws {
        let shape = [v.shape.nz, v.shape.ny, v.shape.nx]
        let file = try HDF5File.create(path: path)
        var data = interleaved(v)
        var stored = shape
        if modes > 0 {
            stored = [modes] + shape
            // Mode 0 is the volume; the others are noise the pipeline must ignore.
            let n = data.count
            for _ in 1..<modes { data += (0..<n).map { _ in Float.random(in: -1...1) } }
        }
        try file.writeComplex(interleaved: data, shape: stored, to: dataset, options: .gzip(level: 1))
        if mask { try file.write(v.support, shape: shape, to: "/entry_1/image_1/mask") }
        try file.close()
    }
}
