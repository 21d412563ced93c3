import Foundation
import SliplineTestSupport

/// Where the browser tests keep their screenshots: the test's temporary directory, each path
/// printed so a CI log points at the artefact.
struct Screenshots {
    let directory: String

    init() throws { directory = try TestFiles.temporaryDirectory("dashboard-screens") }

    func shoot(_ browser: HeadlessChromium, _ name: String) throws {
        let path = directory + "/\(name).png"
        try browser.screenshot(to: path)
        print("screenshot: \(path)")
    }
}
