import Foundation
import Kernels
import Shared

/// A detections file that `ctl eval tem --detections FILE` scores like a job's rows, so that
/// another program's curves and tracks (e.g. `ops/peers/tem_skimage.py`) go through the same
/// evaluator. JSON:
///
///     {"format": "slipline-tem-detections/1",
///      "frames": [{"frame_index": 0, "file": "frame-00000.png",
///                  "curves": [{"track_id": 0, "points": [[x, y], …]}, …]}, …]}
///
/// `frame_index` is the frame's position in the video (natural sort of the file names, from
/// 0), as in `tem_frames`; `file` is optional. Points are `[x, y]` px (x the column, y the
/// row, origin at the centre of the top-left pixel), ordered along the curve, at least 2.
/// `track_id` is an integer ≥ 0, or null/absent for a curve in no track; several curves of one
/// track in a frame are the pieces of one cut line and score as one tracked detection. Frames not listed count as frames with no detections (like frames a job
/// did not analyse); list a frame with `"curves": []` to say it was analysed. Other keys,
/// top-level or per frame/curve, are ignored.
struct TEMDetectionsFile {
    static let format = "slipline-tem-detections/1"

    struct Curve: Decodable {
        let track_id: Int64?
        let points: [[Double]]
    }
    struct Frame: Decodable {
        let frame_index: Int
        let file: String?
        let curves: [Curve]
    }
    struct Document: Decodable {
        let format: String
        let frames: [Frame]
    }

    /// One detected curve: its frame, track (nil: none) and points.
    typealias Row = (frame: Int, track: Int64?, points: [TEMPoint])

    let rows: [Row]
    /// Frames listed in the file.
    let frameCount: Int

    /// Reads and checks `path`; every problem is a `UserError` naming the file and the place.
    init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw UserError("cannot read detections file \(path): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("cannot read detections file \(path)")
        }
        let doc: Document
        do {
            doc = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            throw UserError("\(path) is not a tem detections file (\(Self.format), see `ctl eval tem --help`): \(Self.describe(error))")
        } catch {
            throw UserError("\(path) is not a tem detections file: \(error)")
        }
        guard doc.format == Self.format else {
            throw UserError("\(path): format is \"\(doc.format)\", expected \"\(Self.format)\"")
        }
        var rows: [Row] = []
        var seenFrames = Set<Int>()
        for (fi, frame) in doc.frames.enumerated() {
            let at = "\(path): frames[\(fi)]"
            guard frame.frame_index >= 0 else { throw UserError("\(at): frame_index \(frame.frame_index) is negative") }
            guard seenFrames.insert(frame.frame_index).inserted else {
                throw UserError("\(at): frame_index \(frame.frame_index) is listed twice")
            }
            for (ci, curve) in frame.curves.enumerated() {
                let here = "\(at).curves[\(ci)]"
                if let t = curve.track_id {
                    guard t >= 0 else { throw UserError("\(here): track_id \(t) is negative") }
                }
                guard curve.points.count >= 2 else {
                    throw UserError("\(here): a curve needs at least 2 points, it has \(curve.points.count)")
                }
                var points: [TEMPoint] = []
                points.reserveCapacity(curve.points.count)
                for (pi, p) in curve.points.enumerated() {
                    guard p.count == 2, p[0].isFinite, p[1].isFinite else {
                        throw UserError("\(here).points[\(pi)]: a point is [x, y], two finite numbers; got \(p)")
                    }
                    points.append(TEMPoint(x: p[0], y: p[1]))
                }
                rows.append((frame.frame_index, curve.track_id, points))
            }
        }
        self.rows = rows
        frameCount = seenFrames.count
    }

    /// "at frames[2].curves[0].points: expected …" rather than the decoder's dump.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            var out = ""
            for k in keys {
                if let i = k.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + k.stringValue }
            }
            return out.isEmpty ? "the top level" : out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return "missing key \"\(key.stringValue)\" at \(path(ctx.codingPath))"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return "at \(path(ctx.codingPath)): \(ctx.debugDescription)"
        case .dataCorrupted(let ctx):
            let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "at \(path(ctx.codingPath)): \(ctx.debugDescription)" + (underlying.map { " (\($0))" } ?? "")
        @unknown default:
            return "\(error)"
        }
    }
}
