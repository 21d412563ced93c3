/// How visible a frame's dislocation lines are, measured on the rendered frame against its
/// ground truth: the lines' depth (mean of the frame 6 px either side along the normal minus
/// the frame on the centreline, median over the lines' points) divided by the robust σ of the
/// frame's structure at the line scale (frame − Gaussian blur σ 4 px: camera noise *and* the
/// background's mottle). Unlike the drawn camera contrast-to-noise ratio, it counts everything
/// a detector has to tell the lines from. For stratifying benchmark draws, not for detection.
public enum TEMLineVisibility {
    public static func effectiveCNR(_ frame: [Float], width: Int, height: Int, lines: [[TEMPoint]]) -> Double {
        guard width > 16, height > 16, frame.count >= width * height else { return 0 }
        let noise = Float(structureSigma(frame, width: width, height: height))
        func at(_ p: TEMPoint) -> Float? {
            let x = Int(p.x.rounded()), y = Int(p.y.rounded())
            guard x >= 0, y >= 0, x < width, y < height else { return nil }
            return frame[y * width + x]
        }
        var depths: [Double] = []
        for line in lines where line.count >= 2 {
            for k in 1..<line.count {
                let d = line[k] - line[k - 1], len = TEMPolyline.norm(d)
                guard len > 1e-9 else { continue }
                let n = TEMPoint(-d.y / len, d.x / len), p = line[k]
                guard let c = at(p), let a = at(p + 6 * n), let b = at(p - 6 * n) else { continue }
                depths.append(Double((a + b) / 2 - c))
            }
        }
        guard !depths.isEmpty, noise > 0 else { return 0 }
        depths.sort()
        // Dark lines are deeper than their surroundings, bright ones (weak-beam) shallower.
        return abs(depths[depths.count / 2]) / Double(noise)
    }

    /// Robust σ of the frame's structure at the line scale (frame − its Gaussian blur σ 4 px):
    /// what a line of a few px width has to stand out from, camera noise and mottle alike.
    public static func structureSigma(_ frame: [Float], width: Int, height: Int) -> Double {
        guard width > 0, height > 0, frame.count >= width * height else { return 0 }
        let blurred = GaussianFilter.blur(frame, width: width, height: height, sigma: 4)
        return Double(robustSigma((0..<(width * height)).map { frame[$0] - blurred[$0] }))
    }

    /// 1.4826 × median |v − median|.
    static func robustSigma(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let m = values.sorted()[values.count / 2]
        return 1.4826 * values.map { abs($0 - m) }.sorted()[values.count / 2]
    }
}
