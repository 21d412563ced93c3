/// The registration's binning (`TEMDriftRefinement.grid`, `TEMDriftEstimator`'s spectrum): the
/// mean of each `bin`×`bin` block of a frame, eight bins at a time, one bin per SIMD lane
/// (issue 11 item 5). Each lane adds its block's pixels in the plain loop's order — rows of the
/// block in turn, each row left to right, from 0 — and multiplies by the same `scale`, so every
/// bin is the plain loop's bit for bit (`meanReference`, the twin kept for tests and `ctl bench
/// tem`). Bins of 2 and 4 px (512² and 256² frames) read their rows as contiguous vectors split
/// into even and odd lanes; other sizes gather the lanes one by one.
public enum DriftBinning {
    /// `out[j·columns + i]` = (Σ over dy, then dx, of `frame[(y0 + j·bin + dy)·width + x0 + i·bin + dx]`)
    /// · `scale`, for i < `columns`, j < `rows`. The caller keeps every block inside the frame.
    public static func mean(_ frame: UnsafePointer<Float>, width: Int, x0: Int, y0: Int, bin: Int,
                            columns: Int, rows: Int, scale: Float, into out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        for j in 0..<rows {
            let top = frame + (y0 + j * bin) * width + x0
            let o = out + j * columns
            var i = 0
            switch bin {
            case 4:
                while i + 8 <= columns {
                    var s = V()
                    var p = top + i * 4
                    for _ in 0..<4 {
                        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Float>.self)
                        let even = v.evenHalf, odd = v.oddHalf
                        // even.evenHalf: dx 0 of the eight bins, odd.evenHalf: dx 1, even.oddHalf: dx 2, odd.oddHalf: dx 3.
                        s += even.evenHalf
                        s += odd.evenHalf
                        s += even.oddHalf
                        s += odd.oddHalf
                        p += width
                    }
                    UnsafeMutableRawPointer(o + i).storeBytes(of: s * scale, as: V.self)
                    i += 8
                }
            case 2:
                while i + 8 <= columns {
                    var s = V()
                    var p = top + i * 2
                    for _ in 0..<2 {
                        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
                        s += v.evenHalf
                        s += v.oddHalf
                        p += width
                    }
                    UnsafeMutableRawPointer(o + i).storeBytes(of: s * scale, as: V.self)
                    i += 8
                }
            default:
                while i + 8 <= columns {
                    var s = V()
                    var p = top + i * bin
                    for _ in 0..<bin {
                        for dx in 0..<bin {
                            var g = V()
                            for lane in 0..<8 { g[lane] = p[lane * bin + dx] }
                            s += g
                        }
                        p += width
                    }
                    UnsafeMutableRawPointer(o + i).storeBytes(of: s * scale, as: V.self)
                    i += 8
                }
            }
            // The last columns (fewer than eight) as the plain loop.
            while i < columns {
                var s: Float = 0
                for dy in 0..<bin {
                    let row = top + dy * width + i * bin
                    for dx in 0..<bin { s += row[dx] }
                }
                o[i] = s * scale
                i += 1
            }
        }
    }

    /// The plain loop (the twin): one bin at a time, one pixel at a time.
    public static func meanReference(_ frame: UnsafePointer<Float>, width: Int, x0: Int, y0: Int, bin: Int,
                                     columns: Int, rows: Int, scale: Float, into out: UnsafeMutablePointer<Float>) {
        for j in 0..<rows {
            for i in 0..<columns {
                var s: Float = 0
                for dy in 0..<bin {
                    let row = (y0 + j * bin + dy) * width + x0 + i * bin
                    for dx in 0..<bin { s += frame[row + dx] }
                }
                out[j * columns + i] = s * scale
            }
        }
    }
}
