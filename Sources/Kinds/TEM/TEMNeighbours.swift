import Foundation
import Kernels
import Shared

/// Each curve's pile-up neighbour in its frame: the nearest other curve running in about the
/// same direction (chords within `maxAngleDegrees`), by mean closest-point distance from the
/// curve to it — the tracker's criterion, with the neighbour's index kept (the kernel's
/// `TEMTracker` computes the distance but not which curve it is to). Candidates are compared
/// against the others' coarse copies (see the tracker); the chosen one's distance is exact.
enum TEMNeighbours {
    struct Neighbour: Equatable {
        var index: Int
        var distance: Double
    }

    /// For every frame (in parallel over frames).
    static func find(_ curves: [[[TEMPoint]]], coarse: [[[TEMPoint]]], maxAngleDegrees: Double) -> [[Neighbour?]] {
        // Never throws: the closure does not.
        (try? Parallel.map(curves.count) { f in find(curves[f], coarse: coarse[f], maxAngleDegrees: maxAngleDegrees) }) ?? []
    }

    static func find(_ curves: [[TEMPoint]], coarse: [[TEMPoint]], maxAngleDegrees: Double) -> [Neighbour?] {
        let cosMax = cos(maxAngleDegrees * .pi / 180)
        let bounds = curves.map(CurveMatching.bounds)
        let chords = curves.map { c -> TEMPoint in
            guard let a = c.first, let b = c.last else { return .zero }
            return b - a
        }
        return curves.indices.map { i -> Neighbour? in
            let la = TEMPolyline.norm(chords[i])
            guard la > 0 else { return nil }
            var best: Neighbour?
            for j in curves.indices where j != i {
                let lb = TEMPolyline.norm(chords[j])
                guard lb > 0, abs(chords[i].x * chords[j].x + chords[i].y * chords[j].y) / (la * lb) >= cosMax else { continue }
                // The gap between the boxes bounds every point distance from below.
                let gap = TEMPoint(max(0, max(bounds[j].0.x - bounds[i].1.x, bounds[i].0.x - bounds[j].1.x)),
                                   max(0, max(bounds[j].0.y - bounds[i].1.y, bounds[i].0.y - bounds[j].1.y)))
                if let best, TEMPolyline.norm(gap) >= best.distance { continue }
                let d = TEMPolyline.meanClosestDistance(from: coarse[i], to: coarse[j])
                if best == nil || d < best!.distance { best = Neighbour(index: j, distance: d) }
            }
            // The chosen neighbour's distance is measured on the full curve.
            if var chosen = best {
                chosen.distance = TEMPolyline.meanClosestDistance(from: curves[i], to: curves[chosen.index])
                return chosen
            }
            return nil
        }
    }
}
