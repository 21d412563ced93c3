import Foundation

/// Legacy-VTK polydata (`.vtk`, ASCII) of polylines, as ParaView and VisIt open it: one
/// `LINES` cell per polyline (a closed line repeats its first point index at the end) and
/// integer cell scalars such as `line_id` and `track_id` (−1 for none).
public struct VTKPolyData: Sendable {
    public struct Polyline: Sendable {
        /// Points `[x, y, z]`.
        public var points: [[Double]]
        public var closed: Bool
        public init(points: [[Double]], closed: Bool) {
            self.points = points
            self.closed = closed
        }
    }

    public var title: String
    public var lines: [Polyline] = []
    /// Cell scalars: name → one value per line.
    public var cellScalars: [(name: String, values: [Int])] = []

    public init(title: String) {
        self.title = title
    }

    /// The file's text.
    public func render() -> String {
        let kept = lines.indices.filter { !lines[$0].points.isEmpty }
        var out = "# vtk DataFile Version 3.0\n"
        out += String(title.prefix(250).map { $0 == "\n" ? " " : $0 }) + "\n"
        out += "ASCII\nDATASET POLYDATA\n"
        let total = kept.reduce(0) { $0 + lines[$1].points.count }
        out += "POINTS \(total) double\n"
        for i in kept {
            for p in lines[i].points {
                out += p.prefix(3).map { String(format: "%.4f", $0) }.joined(separator: " ") + "\n"
            }
        }
        let size = kept.reduce(0) { $0 + lines[$1].points.count + 1 + (lines[$1].closed ? 1 : 0) }
        out += "LINES \(kept.count) \(size)\n"
        var base = 0
        for i in kept {
            let n = lines[i].points.count
            var ids = Array(base..<(base + n))
            if lines[i].closed { ids.append(base) }
            out += "\(ids.count) " + ids.map(String.init).joined(separator: " ") + "\n"
            base += n
        }
        if !kept.isEmpty && !cellScalars.isEmpty {
            out += "CELL_DATA \(kept.count)\n"
            for scalar in cellScalars {
                out += "SCALARS \(scalar.name) int 1\nLOOKUP_TABLE default\n"
                out += kept.map { String(scalar.values[$0]) }.joined(separator: "\n") + "\n"
            }
        }
        return out
    }
}
