import Foundation

/// For study outside the job: with `SLIPLINE_STEM4D_TRACE=X,Y[,REACH]` set, the joint particle
/// fit writes to standard error, for the spheres whose centre lies within REACH px (default 8)
/// of (X, Y) sideways: the spheres there after each stage of the fit, and for each lateral split
/// the rival tries on a sphere there — the old sphere, the pair, the plain split's comparison,
/// every sphere near it and whether it lies on it in every view (`overlappingInEveryView`), and
/// each arm's criterion (weighted χ², amplitude prior, spheres × 5 ln n) with the winner. Nothing
/// is written, and nothing computed, without it.
enum STEM4DParticleTrace {
    typealias Sphere = STEM4DParticleModelState.Sphere

    /// The traced place: centre and reach (px), or nil.
    static let focus: (x: Double, y: Double, reach: Double)? = {
        guard let text = ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_TRACE"] else { return nil }
        let v = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count >= 2 else { return nil }
        return (v[0], v[1], v.count > 2 ? v[2] : 8)
    }()

    static var on: Bool { focus != nil }

    /// `SLIPLINE_STEM4D_TRACE_TRUTH=x,y,z,r;…`: true spheres to score in place of the traced split's.
    static let truth: [Sphere] = {
        guard let text = ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_TRACE_TRUTH"] else { return [] }
        return text.split(separator: ";").compactMap { item in
            let v = item.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            return v.count == 4 ? Sphere(x: v[0], y: v[1], z: v[2], r: v[3], c: 0.8) : nil
        }
    }()

    /// Whether `s` lies within the reach of the traced place.
    static func near(_ s: Sphere) -> Bool {
        guard let f = focus else { return false }
        return (s.x - f.x) * (s.x - f.x) + (s.y - f.y) * (s.y - f.y) <= f.reach * f.reach
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data(("trace " + line + "\n").utf8))
    }

    static func text(_ s: Sphere) -> String {
        String(format: "(%.2f, %.2f, %.2f) r %.2f c %.3f", s.x, s.y, s.z, s.r, s.c)
    }

    /// `SLIPLINE_STEM4D_TRACE_PIXELS=FILE` (with `_TRUTH`): the traced split's pixels, one line each —
    /// view, x, y, the measured counts, the background, the view's floor and censoring threshold
    /// (−inf when the view does not clip), the floor the prediction is held at (`floorHeld`; the
    /// median of the view's lowest 0.5 % where it does not clip, whatever the option), whether
    /// censored, the weight 1 / variance, and each
    /// arm's prediction (background − level × model, counts) — for study outside the job.
    static func writePixels(_ state: STEM4DParticleModelState, _ pixels: [(v: Int, i: Int, iv: Double)],
                            arms: [(name: String, model: [[Double]])]) {
        guard let path = ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_TRACE_PIXELS"] else { return }
        var text = "v\tx\ty\tcounts\tbackground\tfloor\tthreshold\thold\tcensored\tiv" + arms.map { "\tpred_" + $0.name }.joined() + "\n"
        for p in pixels {
            let x = p.i % state.w, y = p.i / state.w
            let b = state.background(p.v, x, y)
            let floor = state.floor.isEmpty ? -Double.infinity : state.floor[p.v]
            let threshold = state.censored.isEmpty ? -Double.infinity : state.floorThreshold[p.v]
            let hold = state.holdFloor.isEmpty ? (floor.isFinite ? floor : STEM4DParticleFloorHeld.lowestMedian(state.images[p.v])) : state.holdFloor[p.v]
            text += "\(p.v)\t\(x)\t\(y)\t\(state.images[p.v][p.i])\t\(b)\t\(floor)\t\(threshold)\t\(hold)\t\(state.isCensored(p.v, p.i) ? 1 : 0)\t\(p.iv)"
            for arm in arms { text += "\t\(b - state.plane[p.v].0 * arm.model[p.v][p.i])" }
            text += "\n"
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    /// The spheres near the traced place after stage `name`.
    static func stage(_ name: String, _ state: STEM4DParticleModelState) {
        guard on else { return }
        let here = state.spheres.indices.filter { near(state.spheres[$0]) }
        say("stage \(name): \(state.spheres.count) spheres, near: "
            + here.map { "#\($0) \(text(state.spheres[$0]))" }.joined(separator: "; "))
    }
}
