import Coordinator
import Foundation
import Kernels
import Shared

/// The vacuum reference for bright-field calibration (`--param vacuum=PATH`): either a vacuum
/// scan (a 4D dataset like the cube; its sampled mean pattern is used) or one vacuum pattern
/// (a 2D `.npy`, the 2D dataset of an HDF5 file, or an 8/16-bit grey PNG).
///
/// A single pattern is what microscopes usually save for the reference (one frame with the
/// specimen out, or a sum of them), so it needs no scan; its shape must be the detector's.
/// Every refusal names the file, the problem and the fix, prefixed by `--param vacuum=PATH`.
enum STEM4DVacuum {
    /// The calibration pattern and a label for the calibration record (`vacuum pattern FILE`
    /// or `mean of N frames of vacuum FILE`).
    static func pattern(path: String, detector det: STEM4DDetectorShape) throws -> (pattern: [Float], label: String) {
        func fail(_ problem: String) -> PlanError { PlanError("--param vacuum=\(path): \(problem)") }
        let accepted = "a vacuum scan (4D .h5, .npy or .mib) or one vacuum pattern (2D .npy, 2D HDF5 dataset, 8- or 16-bit grey .png) of the detector's \(det.rows)×\(det.cols) pixels"
        guard FileManager.default.fileExists(atPath: path) else {
            throw fail("no such file; pass \(accepted)")
        }
        let ext = (path as NSString).pathExtension.lowercased()
        var twoD: (values: [Float], shape: [Int])?
        do {
            switch ext {
            case "png":
                let image = try PNGImage.read(path: path)
                let scale = Float((1 << image.bitDepth) - 1)  // back to the stored counts
                twoD = (image.pixels.map { ($0 * scale).rounded() }, [image.height, image.width])
            case "npy":
                let file = try NPYFile.open(path: path)
                if file.shape.count == 2 {
                    let array = try file.readReal()
                    twoD = (array.values, array.shape)
                } else if file.shape.count != 4 {
                    throw fail("has rank \(file.shape.count) (shape \(file.shape)); pass \(accepted)")
                }
            default:
                if STEM4DSource.format(of: path) == "h5" {
                    let file = try HDF5File.open(path: path)
                    defer { try? file.close() }
                    let sets = try file.datasets()
                    let fourD = sets.filter { $0.rank == 4 }, planes = sets.filter { $0.rank == 2 && $0.elementType.isReal }
                    if fourD.isEmpty {
                        guard planes.count == 1 else {
                            throw fail(planes.isEmpty
                                ? "holds no 2D or 4D dataset; pass \(accepted)"
                                : "holds \(planes.count) 2D datasets (\(planes.prefix(4).map(\.path).joined(separator: ", "))) and no 4D one; keep the vacuum pattern alone in its file")
                        }
                        twoD = (try file.dataset(planes[0].path).read(Float.self), planes[0].shape)
                    }
                } else if STEM4DSource.format(of: path) == nil {
                    throw fail("unknown file type .\(ext); pass \(accepted)")
                }
            }
        } catch let e as PlanError {
            throw e
        } catch {
            throw fail("\(error)")
        }
        guard let (values, shape) = twoD else {
            // A 4D vacuum scan: the sampled mean pattern, exactly as for the cube.
            let source: STEM4DSource
            do {
                source = try STEM4DSource.open(path: path)
            } catch {
                throw fail("\(error)")
            }
            guard source.detRows == det.rows, source.detCols == det.cols else {
                throw fail("the scan's detector is \(source.detRows)×\(source.detCols), the cube's \(det.rows)×\(det.cols); pass a vacuum scan taken with the same detector settings (binning, crop)")
            }
            let (mean, sampled) = try STEM4DPlanner.meanPattern(source)
            return (mean, "mean of \(sampled) frames of vacuum \(path)")
        }
        guard shape == [det.rows, det.cols] else {
            let transposed = shape == [det.cols, det.rows] && det.rows != det.cols
            throw fail("the pattern is \(shape[0])×\(shape[1]) (rows × columns) but the cube's detector is \(det.rows)×\(det.cols)"
                + (transposed ? " — it looks transposed; save it as (det_y, det_x)" : "; pass a pattern with the detector's shape (same binning and crop)"))
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let count = values.lazy.filter { !$0.isFinite }.count
            throw fail("the pattern holds \(count) NaN or Inf value(s), the first at detector pixel [x, y] = [\(bad % det.cols), \(bad / det.cols)]; replace them (e.g. dead pixels by 0) and retry")
        }
        return (values, "vacuum pattern \(path)")
    }
}
