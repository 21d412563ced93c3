import Foundation
import Hummingbird

/// Sends a file whose path the database lists for a job (a frame, a virtual image): the
/// request only ever names a job and an index or name, never a path, so nothing outside what
/// the job produced or read can be fetched. Only PNG files are sent.
enum ListedFile {
    static func png(_ path: String?, what: String) throws -> Response {
        guard let path else { throw DashboardHTTPError.notFound(what) }
        guard path.lowercased().hasSuffix(".png") else {
            throw DashboardHTTPError(.unsupportedMediaType, "\(what) is not a PNG file (\((path as NSString).lastPathComponent)); only PNG files are shown")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw DashboardHTTPError(.gone, "\(what): the file \((path as NSString).lastPathComponent) listed for it is no longer readable")
        }
        return Response(
            status: .ok,
            // Files of a finished job do not change; a short private cache makes scrubbing smooth.
            headers: [.contentType: "image/png", .cacheControl: "private, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
