import Foundation

/// Gatan's in-situ recording layout: `Hour_HH/Minute_MM/Second_SS/*.dm4` (or `.dm3`), one
/// file per frame, in time order: hour, minute, second numerically, then natural order of the
/// names within a second (`…_Frame_0002` before `…_Frame_0010`).
enum InSituLayout {
    struct Listing {
        var files: [String]
        /// One second over the median frames per second of the whole seconds (the first and
        /// last may be partial), when at least three seconds were recorded.
        var frameIntervalS: Double?
    }

    /// The layout's files, or nil when `directory` has no `Hour_*` subdirectory.
    static func files(in directory: String) throws -> Listing? {
        let hours = numbered(directory, prefix: "Hour_")
        guard !hours.isEmpty else { return nil }
        var files: [String] = []
        var perSecond: [Int] = []
        for hour in hours {
            for minute in numbered(hour.path, prefix: "Minute_") {
                for second in numbered(minute.path, prefix: "Second_") {
                    let names = ((try? FileManager.default.contentsOfDirectory(atPath: second.path)) ?? [])
                        .filter { !$0.hasPrefix(".") && ["dm4", "dm3"].contains(($0 as NSString).pathExtension.lowercased()) }
                        .naturallySorted()
                    files += names.map { (second.path as NSString).appendingPathComponent($0) }
                    if !names.isEmpty { perSecond.append(names.count) }
                }
            }
        }
        guard !files.isEmpty else {
            throw VideoListingError("\(directory) has the in-situ layout (Hour_*/Minute_*/Second_*) but no .dm4/.dm3 frame in it")
        }
        var interval: Double?
        if perSecond.count >= 3 {
            let whole = perSecond.dropFirst().dropLast().sorted()
            interval = 1 / Double(whole[whole.count / 2])
        }
        return Listing(files: files, frameIntervalS: interval)
    }

    /// Subdirectories named `prefix` + a number, in numeric order.
    private static func numbered(_ directory: String, prefix: String) -> [(number: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(prefix), let n = Int(name.dropFirst(prefix.count)) else { return nil }
            let full = (directory as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue else { return nil }
            return (n, full)
        }.sorted { $0.0 < $1.0 }
    }
}
