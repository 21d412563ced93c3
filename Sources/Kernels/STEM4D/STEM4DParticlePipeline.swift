/// Particles from a cube end to end: calibrate the bright-field disk from the mean pattern,
/// place a stereo pair (or two pairs for four views), form the views in one pass, detect
/// blobs in each and triangulate.
public enum STEM4DParticlePipeline {
    /// Settings of one run.
    public struct Settings: Sendable, Hashable {
        /// Convergence semi-angle α, mrad.
        public var convergenceMrad: Double
        /// Baseline azimuth of the (first) pair, degrees.
        public var azimuthDeg: Double = 0
        /// Radius of each stereo detector, det px.
        public var detectorRadius: Double = 2
        /// Stereo angle φ, degrees; nil = the largest angle that fits.
        public var stereoAngleDeg: Double? = 8
        /// A second pair at this azimuth (e.g. `azimuthDeg + 90`) makes a four-view reconstruction.
        public var secondAzimuthDeg: Double? = nil
        /// Blob detection in each view.
        public var detector = STEM4DBlobDetector()
        /// Correspondence and triangulation (set `zMin`/`zMax` to the slab with a margin).
        public var stereo = STEM4DParticleStereo()

        /// Defaults: azimuth 0, radius-2 detectors, φ = 8°.
        public init(convergenceMrad: Double) { self.convergenceMrad = convergenceMrad }
    }

    /// Everything a run produced.
    public struct Result: Sendable {
        /// Calibrated bright-field disk.
        public var brightField: STEM4DBrightField
        /// The stereo pair used.
        public var pair: STEM4DStereoPair
        /// Virtual images of `pair.minus` and `pair.plus` (scan rows × cols).
        public var minus: STEM4DImage
        public var plus: STEM4DImage
        public var minusBlobs: [STEM4DBlob]
        public var plusBlobs: [STEM4DBlob]
        public var particles: [STEM4DParticle3D]
        /// The second pair, its views and blobs in four-view mode.
        public var secondPair: STEM4DStereoPair?
        public var secondViews: [STEM4DImage]
        public var secondBlobs: [[STEM4DBlob]]
    }

    /// Runs on a whole cube held in memory (`frames` = scan rows × cols frames).
    public static func run(_ frames: STEM4DFrames, scanRows: Int, scanCols: Int, detector: STEM4DDetectorShape,
                           settings: Settings, gemm: STEM4DGemm = .naive) throws -> Result {
        // Pass 1: mean pattern (a bright-field disk detector keeps the pass useful).
        let meanPlan = STEM4DVirtualDetectorPlan(masks: [], detector: detector, strategy: .sparse)
        let mean = meanPlan.run(frames).meanPattern
        let bf = try STEM4DCalibration.brightField(pattern: mean, detector: detector)
        let pair = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: settings.convergenceMrad,
                                                 azimuthDeg: settings.azimuthDeg, detectorRadius: settings.detectorRadius,
                                                 stereoAngleDeg: settings.stereoAngleDeg)
        var second: STEM4DStereoPair?
        var detectors = [pair.minus, pair.plus]
        if let az2 = settings.secondAzimuthDeg {
            let p2 = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: settings.convergenceMrad,
                                                   azimuthDeg: az2, detectorRadius: settings.detectorRadius,
                                                   stereoAngleDeg: settings.stereoAngleDeg)
            second = p2
            detectors += [p2.minus, p2.plus]
        }
        let plan = STEM4DVirtualDetectorPlan(detectors: detectors, detector: detector)
        let v = plan.run(frames, gemm: gemm)
        let images = (0..<detectors.count).map { STEM4DImage(rows: scanRows, cols: scanCols, pixels: Array(v.image($0))) }
        let blobs = images.map { settings.detector.detect($0) }
        var views = STEM4DParticleView.pair(minus: blobs[0], plus: blobs[1], stereo: pair)
        if let p2 = second { views += STEM4DParticleView.pair(minus: blobs[2], plus: blobs[3], stereo: p2) }
        let particles = settings.stereo.reconstruct(views)
        return Result(brightField: bf, pair: pair, minus: images[0], plus: images[1], minusBlobs: blobs[0],
                      plusBlobs: blobs[1], particles: particles, secondPair: second,
                      secondViews: Array(images.dropFirst(2)), secondBlobs: Array(blobs.dropFirst(2)))
    }
}
