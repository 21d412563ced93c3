import Foundation

/// For study outside the job: with `SLIPLINE_STEM4D_DUMP_MODEL=DIR` set, the joint particle
/// fit writes its final state to DIR — per view `view-V.f64` (four planes of rows × cols,
/// little-endian float64: the image, the background, level × model, the variance) and
/// `model.json` (the shape, the views' shifts per unit depth, the blur, the amplitude law, the spheres). Each fit
/// overwrites the last: run one draw.
enum STEM4DParticleModelDump {
    static func write(_ state: STEM4DParticleModelState) {
        guard let dir = ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_DUMP_MODEL"] else { return }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (w, h) = (state.w, state.h)
        for v in state.images.indices {
            var planes = [Double]()
            planes.reserveCapacity(4 * w * h)
            planes += state.images[v]
            for y in 0..<h { for x in 0..<w { planes.append(state.background(v, x, y)) } }
            planes += state.model[v].map { $0 * state.plane[v].0 }
            for i in 0..<(w * h) { planes.append(state.variance(v, i)) }
            let data = planes.withUnsafeBufferPointer { Data(buffer: $0) }
            FileManager.default.createFile(atPath: "\(dir)/view-\(v).f64", contents: data)
        }
        let spheres = state.spheres.map { s in
            String(format: "[%.4f,%.4f,%.4f,%.4f,%.5f]", s.x, s.y, s.z, s.r, s.c)
        }.joined(separator: ",")
        let law = state.amplitudeLaw.map { String(format: "[%.5f,%.5f]", $0.level, $0.spread) } ?? "null"
        let shifts = state.t.map { String(format: "[%.6f,%.6f]", $0.0, $0.1) }.joined(separator: ",")
        let json = "{\"rows\":\(h),\"cols\":\(w),\"views\":\(state.images.count),\"blur\":\(state.blur),"
            + "\"shifts\":[\(shifts)],\"spread_max\":\(state.spreadMax),\"sigma\":\(state.sigma),"
            + "\"excess_per_bin\":\(state.excessPerBin),\"kappa_edge\":\(state.kappaEdge),\"amplitude_law\":\(law),\"spheres\":[\(spheres)]}\n"
        FileManager.default.createFile(atPath: "\(dir)/model.json", contents: Data(json.utf8))
    }
}
