@testable import Kernels

/// Hand-made test frames: a flat background with seeded mild noise and dark anti-aliased lines.
enum TEMTestImage {
    static func make(width: Int, height: Int, lines: [(points: [TEMPoint], width: Double, contrast: Double)],
                     background: Float = 0.7, noise: Double = 0.02, seed: UInt64 = 1) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var img = (0..<(width * height)).map { _ in background + Float(noise * rng.gaussian()) }
        for l in lines {
            TEMSynthesizer.stamp(&img, width: width, height: height, polyline: l.points, lineWidth: l.width, contrast: l.contrast)
        }
        return img
    }
}
