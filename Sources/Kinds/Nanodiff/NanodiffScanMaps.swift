import Foundation
import Kernels
import Shared

/// The maps of one scan, made from its positions' features: what the merge writes and scores.
/// Maps are row-major [scan_rows, scan_cols]; NaN where nothing diffracted.
struct NanodiffScanMaps {
    var index: Int
    var file: String
    var rows: Int
    var cols: Int
    var features: [NanodiffFeatures]
    var frame: NanodiffLatticeFrame
    var stepAngstrom: Double
    var maps: [(name: String, unit: String, values: [Double])] = []
    var defects: [NanodiffDefect] = []
    var scale: [Double] = []
    /// The boundary search's misfit and statistics (the quality study reports them).
    var boundarySearch = NanodiffBoundaryFinder.Search(boundaries: [], misfit: [], statistics: [])

    /// Strain, tilts, their LPA-ICI versions, intensity, spacing, widths, rocking width, the
    /// circulation; defects.
    init(index: Int, file: String, rows: Int, cols: Int, features: [NanodiffFeatures], stepAngstrom: Double, d0: Double?, gamma: Double,
         boundaryNull: NanodiffBoundaryNull = .standard, boundaryStep: NanodiffBoundaryStep = .standard,
         boundaryMisfit: NanodiffLocalMisfit.Mode = .standard) throws {
        self.index = index
        self.file = file
        self.rows = rows
        self.cols = cols
        self.features = features
        self.stepAngstrom = stepAngstrom
        guard let frame = NanodiffLatticeFrame.median(of: features.filter(\.isValid).map(\.q), d0: d0) else {
            throw TaskError("\(file): no scan position diffracted above the background: is the Bragg peak on the detector, and are the angles right?")
        }
        self.frame = frame
        func map(_ f: (NanodiffFeatures) -> Double) -> [Double] { features.map { $0.isValid ? f($0) : .nan } }
        let strain = map { frame.strain($0.q) }
        let tiltX = map { frame.tilts($0.q).x }, tiltY = map { frame.tilts($0.q).y }
        let strainLPA = NanodiffLPAICI.denoise(strain, width: cols, height: rows, gamma: gamma)
        let tiltXLPA = NanodiffLPAICI.denoise(tiltX, width: cols, height: rows, gamma: gamma).values
        let tiltYLPA = NanodiffLPAICI.denoise(tiltY, width: cols, height: rows, gamma: gamma).values
        scale = strainLPA.scale
        let gx = map { $0.q.x - frame.q0.x }, gy = map { $0.q.y - frame.q0.y }
        let plaquettes = NanodiffDefectFinder.plaquettes(gx: gx, gy: gy, width: cols, height: rows, step: stepAngstrom)
        var circulation = [Double](repeating: .nan, count: rows * cols)
        for y in 0..<max(0, rows - 1) { for x in 0..<max(0, cols - 1) { circulation[y * cols + x] = plaquettes[y * (cols - 1) + x] } }
        maps = [
            ("strain", "1", strain), ("tilt_x", "rad", tiltX), ("tilt_y", "rad", tiltY),
            ("strain_lpa", "1", strainLPA.values), ("tilt_x_lpa", "rad", tiltXLPA), ("tilt_y_lpa", "rad", tiltYLPA),
            ("intensity", "counts", features.map(\.intensity)), ("d_spacing", "Å", map(\.dSpacing)),
            ("width_1", "1/Å", map(\.widths.x)), ("width_2", "1/Å", map(\.widths.y)), ("width_3", "1/Å", map(\.widths.z)),
            ("rocking_width", "deg", map(\.rockingWidthDeg)), ("circulation", "rad", circulation),
        ]
        defects = NanodiffDefectFinder.dislocations(plaquettes: plaquettes, width: cols, height: rows)
        // Boundaries: one joint test on both raw tilts against the fitted dislocation fields,
        // weighted by each position's centroid error.
        let cores = defects.map { SIMD2($0.x, $0.y) }
        let sigmaX = map { frame.tiltSigmas($0).x }, sigmaY = map { frame.tiltSigmas($0).y }
        boundarySearch = NanodiffBoundaryFinder.search(tilts: [tiltX, tiltY], sigmas: [sigmaX, sigmaY], width: cols, height: rows, cores: cores,
                                                       strain: strain, null: boundaryNull, step: boundaryStep,
                                                       misfit: boundaryMisfit, algebra: NanodiffBLAS.algebra)
        defects += boundarySearch.boundaries
        maps += [("tilt_x_sigma", "rad", sigmaX), ("tilt_y_sigma", "rad", sigmaY)]
    }

    func values(_ name: String) -> [Double] { maps.first { $0.name == name }!.values }

    /// The boundary search again on the same maps and cores with another null or step model (the
    /// quality study compares them on the same draws).
    func boundarySearch(null: NanodiffBoundaryNull, step: NanodiffBoundaryStep = .standard,
                        misfit: NanodiffLocalMisfit.Mode = .standard) -> NanodiffBoundaryFinder.Search {
        NanodiffBoundaryFinder.search(tilts: [values("tilt_x"), values("tilt_y")], sigmas: [values("tilt_x_sigma"), values("tilt_y_sigma")],
                                      width: cols, height: rows, cores: defects.filter { $0.kind == .dislocation }.map { SIMD2($0.x, $0.y) },
                                      strain: values("strain"), null: null, step: step, misfit: misfit, algebra: NanodiffBLAS.algebra)
    }

    /// Descriptor rows of the valid positions, with their position indices.
    func descriptors() -> (rows: [[Double]], positions: [Int]) {
        let strain = values("strain"), tx = values("tilt_x"), ty = values("tilt_y")
        var out: [[Double]] = [], positions: [Int] = []
        for (i, f) in features.enumerated() where f.isValid {
            out.append(NanodiffDescriptor.vector(f, strain: strain[i], tiltX: tx[i], tiltY: ty[i]))
            positions.append(i)
        }
        return (out, positions)
    }
}
