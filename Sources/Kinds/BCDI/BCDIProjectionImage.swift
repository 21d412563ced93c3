import Foundation
import Kernels
import Shared

/// A PNG-ready RGB picture of a volume: three orthogonal projections of the support side by
/// side — along z (x right, y down), along y (x right, z down) and along x (y right, z down) —
/// grey by the fraction of crystal along each ray, with the lines drawn in colour.
enum BCDIProjectionImage {
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
        (145, 30, 180), (70, 240, 240), (240, 50, 230),
    ]

    static func render(support: [UInt8], shape: BCDIShape, lines: [BCDILine]) -> (width: Int, height: Int, pixels: [UInt8]) {
        let (nx, ny, nz) = (shape.nx, shape.ny, shape.nz)
        // Small volumes are scaled up so that the lines are visible.
        let scale = max(1, min(8, 384 / max(1, max(nx, max(ny, nz)))))
        let gap = 4
        // Panels: (width, height, x offset) in voxels of the panel's axes.
        let panels = [(nx, ny), (nx, nz), (ny, nz)]
        var offsets: [Int] = []
        var width = 0
        for p in panels {
            offsets.append(width)
            width += p.0 * scale + gap
        }
        width -= gap
        let height = max(ny, nz) * scale
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var sums = [[Int]](repeating: [], count: 3)
        sums[0] = [Int](repeating: 0, count: nx * ny)
        sums[1] = [Int](repeating: 0, count: nx * nz)
        sums[2] = [Int](repeating: 0, count: ny * nz)
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx where support[shape.index(x: x, y: y, z: z)] != 0 {
                    sums[0][y * nx + x] += 1
                    sums[1][z * nx + x] += 1
                    sums[2][z * ny + y] += 1
                }
            }
        }
        let depths = [nz, ny, nx]
        func put(_ px: Int, _ py: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard px >= 0, py >= 0, px < width, py < height else { return }
            let i = (py * width + px) * 3
            pixels[i] = c.0
            pixels[i + 1] = c.1
            pixels[i + 2] = c.2
        }
        for p in 0..<3 {
            let (pw, ph) = panels[p]
            for v in 0..<ph {
                for u in 0..<pw {
                    let n = sums[p][v * pw + u]
                    let grey = n == 0 ? UInt8(0) : UInt8(60 + 150 * n / max(1, depths[p]))
                    for dy in 0..<scale {
                        for dx in 0..<scale { put(offsets[p] + u * scale + dx, v * scale + dy, (grey, grey, grey)) }
                    }
                }
            }
        }
        for (k, line) in lines.enumerated() {
            let colour = palette[k % palette.count]
            for (a, b) in line.segments {
                let steps = max(1, Int((((b - a) * (b - a)).sum().squareRoot() * Double(scale) * 2).rounded(.up)))
                for s in 0...steps {
                    let q = a + (b - a) * (Double(s) / Double(steps))
                    let coords = [(q.x, q.y), (q.x, q.z), (q.y, q.z)]
                    for p in 0..<3 {
                        let u = Int(((coords[p].0 + 0.5) * Double(scale)).rounded(.down))
                        let v = Int(((coords[p].1 + 0.5) * Double(scale)).rounded(.down))
                        guard u >= 0, u < panels[p].0 * scale else { continue }
                        put(offsets[p] + u, v, colour)
                    }
                }
            }
        }
        return (width, height, pixels)
    }
}
