/// Several masks compiled to row runs for the sparse summation kernel.
///
/// Every detector row's run of nonzero weights is covered by 16-pixel segments of the
/// flattened frame; each segment carries, for every mask touching it, a 16-lane weight vector
/// (zero outside the run). The kernel walks each mask's segments with register accumulators;
/// the frame is in cache by then, so masks sharing a segment cost little. A segment that would run past the end of the frame is shifted back, so loads never
/// leave the frame (frames must have ≥ 16 pixels; smaller frames use scalar tails).
public struct STEM4DSparseMasks: Sendable {
    /// The detector shape the masks were compiled for.
    public let detector: STEM4DDetectorShape
    /// Number of masks.
    public let maskCount: Int
    /// Pixel offset (within a frame) of each segment.
    let segmentOffsets: [Int]
    /// For segment `s`, entries `entryStart[s]..<entryStart[s+1]` of `entryMask`/`entryWeights`.
    let entryStart: [Int]
    let entryMask: [Int]
    let entryWeights: [SIMD16<Float>]
    /// The same entries grouped by mask: mask `m` owns `maskSegmentStart[m]..<[m+1]`.
    let maskSegmentStart: [Int]
    let maskSegmentOffsets: [Int]
    let maskSegmentWeights: [SIMD16<Float>]
    /// For frames whose pixel count is a multiple of 16: chunk `c` (pixels 16c…16c+15) owns
    /// entries `chunkEntryStart[c]..<[c+1]` of `entryMask`/`entryWeights`; empty otherwise.
    let chunkEntryStart: [Int]
    /// Scalar fallback for frames under 16 pixels: (mask, pixel, weight).
    let scalarEntries: [(Int, Int, Float)]
    /// Nonzero pixels summed over all masks.
    public let nonzeroCount: Int

    // Exact integer path (`UInt8`/`UInt16` input, `STEM4DSparseKernel.accumulateInteger`):
    // the frame is cut into `pixels / 16` aligned 16-pixel chunks plus a scalar tail.
    /// Whether mask `m` is summed in integer lanes: all weights 0 or 1 (circles, annuli,
    /// sectors) and at most 65 536 pixels, so a sum of 16-bit values stays below 2³².
    let maskIsInteger: [Bool]
    /// Chunk entries mask by mask (register accumulators in the mask pass): mask `m` owns `maskChunkStart[m]..<[m+1]`; bits for integer masks, weights for others.
    let maskChunkStart: [Int]
    let maskChunkOffset: [Int]
    let maskChunkBits16: [SIMD16<UInt16>]
    let maskChunkBits8: [SIMD16<UInt8>]
    let maskChunkWeights: [SIMD16<Float>]
    /// Pixels past the last whole chunk: (mask, pixel, weight).
    let tailEntries: [(Int, Int, Float)]
    /// The integer masks' chunk entries chunk-major, for the pattern pass that sums them
    /// (`STEM4DFoldedMasks`; built once here, not per tile).
    let folded: STEM4DFoldedMasks

    /// Compiles row-major weight masks (each `detector.pixels` long).
    public init(masks: [[Float]], detector: STEM4DDetectorShape) {
        self.detector = detector
        self.maskCount = masks.count
        let p = detector.pixels
        var nnz = 0
        var scalar: [(Int, Int, Float)] = []
        for (m, w) in masks.enumerated() {
            precondition(w.count == p, "mask \(m) has \(w.count) weights, detector has \(p) pixels")
            for (i, v) in w.enumerated() where v != 0 { nnz += 1; scalar.append((m, i, v)) }
        }
        nonzeroCount = nnz
        scalarEntries = scalar
        var offsets: [Int] = [], starts: [Int] = [0], eMask: [Int] = [], eW: [SIMD16<Float>] = []
        if p >= 16 {
            let nseg = (p + 15) / 16
            for s in 0..<nseg {
                let base = min(s * 16, p - 16)
                let lo = s * 16  // lanes before `lo` belong to the previous segment
                var any = false
                for (m, w) in masks.enumerated() {
                    var v = SIMD16<Float>(repeating: 0)
                    var has = false
                    for l in 0..<16 where base + l >= lo {
                        let x = w[base + l]
                        if x != 0 { v[l] = x; has = true }
                    }
                    if has { eMask.append(m); eW.append(v); any = true }
                }
                if any { offsets.append(base); starts.append(eMask.count) }
            }
        }
        segmentOffsets = offsets
        var ces: [Int] = []
        if p >= 16 && p % 16 == 0 {
            ces = [0]
            var seg = 0
            for c in 0..<(p / 16) {
                if seg < offsets.count && offsets[seg] == c * 16 { ces.append(starts[seg + 1]); seg += 1 } else { ces.append(ces.last!) }
            }
        }
        chunkEntryStart = ces
        var mStart = [0], mOff: [Int] = [], mW: [SIMD16<Float>] = []
        for m in 0..<masks.count {
            for s in 0..<offsets.count {
                for e in starts[s]..<starts[s + 1] where eMask[e] == m { mOff.append(offsets[s]); mW.append(eW[e]) }
            }
            mStart.append(mOff.count)
        }
        maskSegmentStart = mStart
        // Integer-path tables.
        let isInt = masks.map { w in w.allSatisfy { $0 == 0 || $0 == 1 } && w.lazy.filter { $0 != 0 }.count <= 65_536 }
        maskIsInteger = isInt
        let nc = p / 16
        var mcs = [0], mco: [Int] = [], mb16: [SIMD16<UInt16>] = [], mb8: [SIMD16<UInt8>] = [], mcw: [SIMD16<Float>] = []
        for w in masks {
            for c in 0..<nc {
                var v = SIMD16<Float>(repeating: 0)
                for l in 0..<16 { v[l] = w[c * 16 + l] }
                guard v != SIMD16<Float>(repeating: 0) else { continue }
                var b16 = SIMD16<UInt16>(repeating: 0), b8 = SIMD16<UInt8>(repeating: 0)
                for l in 0..<16 where v[l] != 0 { b16[l] = .max; b8[l] = .max }
                mco.append(c * 16); mb16.append(b16); mb8.append(b8); mcw.append(v)
            }
            mcs.append(mco.count)
        }
        maskChunkStart = mcs; maskChunkOffset = mco; maskChunkBits16 = mb16; maskChunkBits8 = mb8; maskChunkWeights = mcw
        tailEntries = scalar.filter { $0.1 >= nc * 16 }
        folded = STEM4DFoldedMasks(pixels: p, isInteger: isInt, start: mcs, offset: mco, bits: mb16)
        maskSegmentOffsets = mOff
        maskSegmentWeights = mW
        entryStart = starts
        entryMask = eMask
        entryWeights = eW
    }

    /// Compiles geometric detectors.
    public init(detectors: [STEM4DDetectorGeometry], detector: STEM4DDetectorShape) {
        self.init(masks: detectors.map { $0.rasterise(detector) }, detector: detector)
    }

    /// Number of 16-pixel segments read per frame.
    public var segmentCount: Int { segmentOffsets.count }
}
