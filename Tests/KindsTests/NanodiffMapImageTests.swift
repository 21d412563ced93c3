import Foundation
@testable import Kinds
import Shared
import XCTest

/// The map PNGs carry a colour bar with their end values; NaN positions are grey.
final class NanodiffMapImageTests: XCTestCase {
    func testSignedMapHasADivergingColourBarLabelsAndGreyNaN() throws {
        // 7×5 (awkward), a ramp from −3·10⁻⁴ to 1·10⁻⁴, one NaN position.
        let rows = 5, cols = 7
        var values = (0..<(rows * cols)).map { -3e-4 + 4e-4 * Double($0) / Double(rows * cols - 1) }
        values[8] = .nan
        let path = (try KindHarness<NanodiffKind>.temporaryDirectory("ndpng") as NSString).appendingPathComponent("strain.png")
        try NanodiffMapImage.write(values, rows: rows, cols: cols, signed: true, to: path)
        let image = try PNGImage.read(path: path)
        let cell = 16, mapW = cols * cell, barX = mapW + 8  // cells are at most 16 px
        XCTAssertEqual(image.width, barX + 12 + 4 + 40)
        XCTAssertEqual(image.height, max(rows * cell, 60))
        func px(_ x: Int, _ y: Int) -> Float { image.pixels[y * image.width + x] }
        // NaN grey (128/255 in every channel), at position (1, 1).
        XCTAssertEqual(px(cell + cell / 2, cell + cell / 2), 128 / 255, accuracy: 0.01)
        // The bar: white (luminance 1) at the middle (0 of a symmetric scale), red at the top,
        // blue at the bottom (Rec. 709 luminance of pure red 0.21, of pure blue 0.07, in sRGB).
        let bar = barX + 6
        XCTAssertEqual(px(bar, image.height / 2), 1, accuracy: 0.03)
        XCTAssertLessThan(px(bar, 0), 0.6)
        XCTAssertLessThan(px(bar, image.height - 1), 0.6)
        XCTAssertGreaterThan(px(bar, 0), px(bar, image.height - 1), "red (top) is brighter than blue (bottom)")
        // Labels: black glyph pixels right of the bar at the top (max) and bottom (min).
        let labelX = (barX + 12 + 3)..<image.width
        XCTAssertTrue(labelX.contains { x in (1..<6).contains { px(x, $0) < 0.05 } }, "no top label")
        XCTAssertTrue(labelX.contains { x in ((image.height - 6)..<image.height).contains { px(x, $0) < 0.05 } }, "no bottom label")
        XCTAssertEqual(NanodiffMapImage.label(3e-4), "3.00e-4")
    }
}
