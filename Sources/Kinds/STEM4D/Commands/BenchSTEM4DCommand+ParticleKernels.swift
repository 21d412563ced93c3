import Foundation
import Kernels

extension BenchSTEM4DCommand {
    /// `--particle-kernels`: the held amplitude fit (`particle_floor_held=all`, every `score`
    /// call) with its radix sort against the plain solver's comparison sort, one thread, on
    /// random sets of each size, and whether every amplitude and gain is the plain one's bit for bit.
    func runParticleKernels() {
        var load = [0.0, 0, 0]
        _ = getloadavg(&load, 3)
        print(String(format: "bench stem4d --particle-kernels: one thread, load average %.2f %.2f %.2f", load[0], load[1], load[2]))
        for size in [50, 200, 800] {
            let calls = 400 * repeats
            let r = STEM4DParticleFloorHeldBenchmark.amplitude(calls: calls, size: size)
            print(String(format: "held amplitude (%d terms, radix sort of the breakpoints): %.2f µs/call CPU; plain solver (comparison sort) %.2f µs/call (%.2f×); %d of %d calls differ from the plain solver in any bit",
                         size, r.fastMicros, r.plainMicros, r.plainMicros / max(r.fastMicros, 1e-9), r.differing, calls))
        }
    }
}
