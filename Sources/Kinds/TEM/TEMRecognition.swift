import Foundation
import Shared

/// Kind detection for `tem` from the content: a file, or the first frame file of a directory,
/// that opens as a grey 2D image or 3D stack is a TEM video. A DM file of rank 4 (4D-STEM) is
/// not; an HDF5 file is TEM video only when it holds Velox images (`/Data/Image/*/Data`).
enum TEMRecognition {
    static func match(_ input: InputListing) -> InputMatch {
        if input.isDirectory {
            if input.names.contains(where: { $0.hasPrefix("Hour_") }) { return .certain }  // Gatan in-situ layout
            guard let first = input.first(withExtensionIn: VideoListing.frameExtensions) else { return .no }
            return matchFile(first)
        }
        return matchFile(input.path)
    }

    private static func matchFile(_ path: String) -> InputMatch {
        guard let format = FrameStackFormat.detect(path: path) else { return .no }
        switch format {
        case .png, .jpeg, .tiff, .mrc, .ser, .video:
            return .certain
        case .dm:
            do {
                _ = try DMStack(path: path)
                return .certain
            } catch let error as FormatError where error.kind == .wrongShape || error.kind == .missing {
                return .no
            } catch {
                return .possible  // damaged: let the planner name the problem
            }
        case .emd:
            return EMDStack.holdsImages(path) ? .certain : .no  // other HDF5 files: bcdi, stem4d
        }
    }
}
