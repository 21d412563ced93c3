import Foundation
import Kernels

/// Whether a job's default detectors and 3D mode fit the cube at hand. Real files come in
/// every size (a 3×3 test scan, a 4×5 detector, a bright-field disk under 2 px): what does not
/// fit is left out with a note on the job, and the virtual images that do fit, the mean and the
/// maximum patterns still come (docs/stem4d.md, "Graceful degradation").
enum STEM4DDefaultsFit {
    /// Smallest scan side on which any 3D mode runs: below it a view holds no feature plus
    /// the surround a detector needs to see it against.
    static let minimumScanSide = 8

    /// A disk at the detector's centre, a quarter of its smaller side in radius: the stand-in
    /// when the mean pattern shows no disk, so that BF and ADF images still come.
    static func standInBrightField(detector: STEM4DDetectorShape) -> STEM4DBrightField {
        STEM4DBrightField(cx: Double(detector.cols - 1) / 2, cy: Double(detector.rows - 1) / 2,
                          radius: max(0.5, Double(min(detector.rows, detector.cols)) / 4))
    }

    /// Whether a detector's mask holds at least one pixel of the detector.
    static func covers(_ geometry: STEM4DDetectorGeometry, _ shape: STEM4DDetectorShape) -> Bool {
        geometry.rasterise(shape).contains { $0 != 0 }
    }

    /// Why the four quadrants cannot be formed (nil when they can): no disk to divide, or one
    /// so small that a quadrant holds no pixel.
    static func quadrantsNote(_ quadrants: [STEM4DDetectorGeometry], found: Bool, bf: STEM4DBrightField,
                              shape: STEM4DDetectorShape) -> String? {
        guard found else { return "quadrants skipped: no bright-field disk to divide" }
        guard quadrants.allSatisfy({ covers($0, shape) }) else {
            return String(format: "quadrants skipped: the bright-field disk (radius %.2f px) is too small to split into four", bf.radius)
        }
        return nil
    }

    /// Why the job's 3D mode cannot run on this cube (nil when it can, or for `mode=images`):
    /// no stereo pair fits the disk, or the scan is too small for the smallest particle or
    /// the shortest line the options ask for.
    static func skippedMode(options: STEM4DJobOptions, pairs: Int, scanRows: Int, scanCols: Int) -> String? {
        let mode = options.mode
        guard mode != "images" else { return nil }
        let scan = "\(scanCols)×\(scanRows)"
        guard pairs > 0 else {
            return "mode=\(mode) skipped: no stereo pair fits this cube; the virtual images and patterns are written"
        }
        let side = min(scanRows, scanCols)
        switch mode {
        case "particles":
            let need = max(minimumScanSide, Int((4 * options.particleRadiusMin).rounded(.up)) + 1)
            guard side >= need else {
                return "mode=particles skipped: the \(scan) scan is smaller than the \(need) px a particle of radius "
                    + "particle_radius_min=\(options.particleRadiusMin) needs with its surround"
            }
        case "dislocations":
            let need = Int((options.lineMinLength ?? 0).rounded(.up))
            guard side >= minimumScanSide, max(scanRows, scanCols) >= need else {
                return "mode=dislocations skipped: the \(scan) scan cannot hold a line of line_min_length=\(need) px"
            }
        default:
            break
        }
        return nil
    }
}
