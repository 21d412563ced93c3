/// Sparse row-run summation: virtual images of a few small detectors at memory speed.
///
/// Frames are walked in groups of 8 (a few hundred kB at most) in one pixel-chunk-major pass
/// that updates the sum and max patterns and, while each 16-pixel vector is in registers,
/// the masks that cover it. Frames whose size is not a multiple of 16 take a second,
/// per-frame pass over the mask segments (from cache) instead.
public enum STEM4DSparseKernel {
    /// Frames per group for the pattern pass (hardware prefetchers follow this many streams;
    /// the measured choice is in docs/tuning.md).
    static let group = 8
    /// Fuse the masks into the pattern pass when the frame size is a multiple of 16 (faster,
    /// docs/tuning.md; the other path serves odd sizes).
    static let useFused = true

    /// Route 8- and 16-bit input through the exact integer path (`STEM4DIntegerKernel.swift`).
    nonisolated(unsafe) static var useInteger = true

    /// Adds the virtual images of `frames` (whose first frame is scan index `firstFrame`) and
    /// their patterns into `partial`, whose frame range must contain them.
    public static func accumulate(_ frames: STEM4DFrames, masks: STEM4DSparseMasks, firstFrame: Int,
                                  into partial: inout STEM4DVirtualPartial) {
        switch frames {
        case .uint8(let b) where useInteger: accumulateInteger(b, masks: masks, firstFrame: firstFrame, into: &partial)
        case .uint16(let b) where useInteger: accumulateInteger(b, masks: masks, firstFrame: firstFrame, into: &partial)
        case .uint8(let b): accumulate(b, masks: masks, firstFrame: firstFrame, into: &partial)
        case .uint16(let b): accumulate(b, masks: masks, firstFrame: firstFrame, into: &partial)
        case .uint32(let b): accumulate(b, masks: masks, firstFrame: firstFrame, into: &partial)
        case .float32(let b): accumulate(b, masks: masks, firstFrame: firstFrame, into: &partial)
        }
    }

    /// Runs the kernel over a whole block and returns its partial result.
    public static func run(_ frames: STEM4DFrames, masks: STEM4DSparseMasks, firstFrame: Int = 0) -> STEM4DVirtualPartial {
        let n = frames.count / masks.detector.pixels
        var partial = STEM4DVirtualPartial(firstFrame: firstFrame, frameCount: n, maskCount: masks.maskCount,
                                           detectorPixels: masks.detector.pixels)
        accumulate(frames, masks: masks, firstFrame: firstFrame, into: &partial)
        return partial
    }

    // The block checks below repeat in `accumulate`: folding them into a helper returning a
    // tuple measured ≈ 10 points of bandwidth slower (256² detector), so they stay inline.
    static func accumulateInteger<T: STEM4DIntegerPixel>(_ buf: UnsafeBufferPointer<T>, masks: STEM4DSparseMasks, firstFrame: Int,
                                                         into partial: inout STEM4DVirtualPartial) {
        let p = masks.detector.pixels
        precondition(buf.count % p == 0, "block of \(buf.count) elements is not a whole number of \(p)-pixel frames")
        let n = buf.count / p
        guard n > 0, let base = buf.baseAddress else { return }
        precondition(firstFrame >= partial.firstFrame && firstFrame + n <= partial.firstFrame + partial.frameCount,
                     "frames \(firstFrame)..<\(firstFrame + n) outside the partial's range")
        let stride = partial.frameCount
        let off = firstFrame - partial.firstFrame
        // The C pass of 16-bit input sums into integer accumulators that the partial carries
        // from tile to tile (STEM4DVirtualPartial.settle adds them to the patterns).
        let pending = T.self == UInt16.self && STEM4DVectorUnits.intPatterns ? (p / 16) * 16 : 0
        if partial.pendingSum.count != pending {
            partial.settle()
            partial.pendingSum = [UInt32](repeating: 0, count: pending)
            partial.pendingMax = [UInt16](repeating: 0, count: pending)
        }
        var pendingFrames = partial.pendingFrames
        partial.settledSum.withUnsafeMutableBufferPointer { sumBuf in
            partial.settledMax.withUnsafeMutableBufferPointer { maxBuf in
                partial.pendingSum.withUnsafeMutableBufferPointer { pSum in
                    partial.pendingMax.withUnsafeMutableBufferPointer { pMax in
                        partial.images.withUnsafeMutableBufferPointer { img in
                            accumulateInteger(base, frames: n, masks: masks, column: off, stride: stride,
                                              images: img.baseAddress ?? UnsafeMutablePointer(bitPattern: 16)!,
                                              sum: sumBuf.baseAddress!, max: maxBuf.baseAddress!,
                                              pendingSum: pSum.baseAddress, pendingMax: pMax.baseAddress,
                                              pendingFrames: &pendingFrames)
                        }
                    }
                }
            }
        }
        partial.pendingFrames = pendingFrames
        partial.patternCount += n
        if !STEM4DVectorUnits.carryPatterns { partial.settle() }
    }

    static func accumulate<T: STEM4DPixel>(_ buf: UnsafeBufferPointer<T>, masks: STEM4DSparseMasks, firstFrame: Int,
                                           into partial: inout STEM4DVirtualPartial) {
        let p = masks.detector.pixels
        precondition(buf.count % p == 0, "block of \(buf.count) elements is not a whole number of \(p)-pixel frames")
        let n = buf.count / p
        guard n > 0, let base = buf.baseAddress else { return }
        precondition(firstFrame >= partial.firstFrame && firstFrame + n <= partial.firstFrame + partial.frameCount,
                     "frames \(firstFrame)..<\(firstFrame + n) outside the partial's range")
        let stride = partial.frameCount
        let off = firstFrame - partial.firstFrame
        let mcount = masks.maskCount
        var acc = STEM4DPatternAccumulator(pixels: p, element: T.self)
        let scalarAcc = UnsafeMutablePointer<Float>.allocate(capacity: max(mcount, 1))
        defer { scalarAcc.deallocate() }
        let macc = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: max(1, mcount * group))
        defer { macc.deallocate() }
        partial.settledSum.withUnsafeMutableBufferPointer { sumBuf in
            partial.settledMax.withUnsafeMutableBufferPointer { maxBuf in
                partial.images.withUnsafeMutableBufferPointer { img in
                    masks.maskSegmentStart.withUnsafeBufferPointer { mStart in
                        masks.maskSegmentOffsets.withUnsafeBufferPointer { mOff in
                            masks.maskSegmentWeights.withUnsafeBufferPointer { mW in
                          masks.chunkEntryStart.withUnsafeBufferPointer { ces in
                            masks.entryMask.withUnsafeBufferPointer { eMask in
                              masks.entryWeights.withUnsafeBufferPointer { eW in
                                    let fused = useFused && !ces.isEmpty
                                    var f0 = 0
                                    while f0 < n {
                                        let g = min(group, n - f0)
                                        let gp = base + f0 * p
                                        if fused {
                                            macc.initialize(repeating: SIMD16<Float>(repeating: 0), count: max(1, mcount * group))
                                            acc.addGroupFused(gp, count: g, max: maxBuf.baseAddress!, chunkEntries: ces,
                                                              entryMask: eMask, entryWeights: eW, macc: macc, stride: group)
                                            acc.noteFrames(g, into: sumBuf.baseAddress!)
                                            for m in 0..<mcount {
                                                for k in 0..<g { img[m * stride + off + f0 + k] += macc[m * group + k].sum() }
                                            }
                                            f0 += g
                                            continue
                                        }
                                        acc.addGroup(gp, count: g, max: maxBuf.baseAddress!)
                                        acc.noteFrames(g, into: sumBuf.baseAddress!)
                                        for k in 0..<g {
                                            let fp = gp + k * p
                                            let col = off + f0 + k
                                            if p >= 16 {
                                                // Mask by mask with two register accumulators:
                                                // no dependency through memory between segments.
                                                for m in 0..<mcount {
                                                    var a0 = SIMD16<Float>(repeating: 0), a1 = a0
                                                    var e = mStart[m]
                                                    let end = mStart[m + 1]
                                                    while e + 2 <= end {
                                                        a0 += fp.stem4dLoad16(mOff[e]) * mW[e]
                                                        a1 += fp.stem4dLoad16(mOff[e + 1]) * mW[e + 1]
                                                        e += 2
                                                    }
                                                    if e < end { a0 += fp.stem4dLoad16(mOff[e]) * mW[e] }
                                                    img[m * stride + col] += (a0 + a1).sum()
                                                }
                                            } else {
                                                scalarAcc.initialize(repeating: 0, count: mcount)
                                                for (m, i, w) in masks.scalarEntries { scalarAcc[m] += fp[i].floatValue * w }
                                                for m in 0..<mcount { img[m * stride + col] += scalarAcc[m] }
                                            }
                                        }
                                        f0 += g
                                    }
                                    acc.flush(into: sumBuf.baseAddress!)
                              }
                            }
                          }
                            }
                        }
                    }
                }
            }
        }
        partial.patternCount += n
    }
}
