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

    /// The spheres near the traced place after stage `name`.
    static func stage(_ name: String, _ state: STEM4DParticleModelState) {
        guard on else { return }
        let here = state.spheres.indices.filter { near(state.spheres[$0]) }
        say("stage \(name): \(state.spheres.count) spheres, near: "
            + here.map { "#\($0) \(text(state.spheres[$0]))" }.joined(separator: "; "))
    }
}
