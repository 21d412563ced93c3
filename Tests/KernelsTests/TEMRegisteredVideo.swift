@testable import Kernels

/// A generated video's first `frames` frames as `ctl synth tem` writes them (8-bit), each with
/// `detector`'s curves and its drift registered as a shard registers it (against frame 0, the
/// curves left out of the fit): the input the temporal window's tests push.
func registeredVideo(_ synth: TEMSynthesizer, frames: Int, detector: inout TEMDetector)
    -> [(pixels: [Float], curves: [TEMCurve], drift: TEMPoint)] {
    let w = synth.params.width, h = synth.params.height
    var registration: TEMRegistration?
    return (0..<frames).map { f in
        let img = synth.frame8(f).map { Float($0) / 255 }
        let found = detector.detect(img, width: w, height: h)
        let drift: TEMPoint = img.withUnsafeBufferPointer { b in
            if registration == nil {
                registration = TEMRegistration(reference: b, width: w, height: h, lines: found.map(\.points))
                return .zero
            }
            return registration!.drift(b, lines: found.map(\.points))
        }
        return (img, found, drift)
    }
}
