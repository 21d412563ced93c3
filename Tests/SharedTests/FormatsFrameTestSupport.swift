import Foundation
@testable import Shared

/// Random frames for the format tests: values drawn over the sample type's whole range
/// (a different draw per seed), so a swapped byte or a misplaced row shows.
enum FrameFixtures {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func range(_ type: SampleType) -> ClosedRange<Double> {
        switch type {
        case .uint4: 0...15
        case .uint8: 0...255
        case .int8: -128...127
        case .uint16: 0...65535
        case .int16: -32768...32767
        case .uint32: 0...4_000_000_000
        case .int32: -2_000_000_000...2_000_000_000
        case .uint64, .int64: 0...1_000_000
        case .float16: -1000...1000
        case .float32, .float64: -1e6...1e6
        }
    }

    static func frames(_ count: Int, width: Int, height: Int, type: SampleType, seed: UInt64) -> [[Double]] {
        var g = Generator(state: seed)
        let r = range(type)
        let integer = ![.float16, .float32, .float64].contains(type)
        return (0..<count).map { _ in
            (0..<(width * height)).map { _ in
                let v = Double.random(in: r, using: &g)
                return integer ? v.rounded(.down) : (type == .float16 ? Double(Float16(v)) : Double(Float(v)))
            }
        }
    }

    /// What a reader should return for stored `values` (see `FrameStack`).
    static func expected(_ values: [Double], _ type: SampleType) -> [Float] { values.map { Float($0) * type.scale } }

    static func readAll(_ stack: any FrameStack) throws -> [[Float]] {
        var pixels: [Float] = []
        return try (0..<stack.frameCount).map { i in
            try stack.readFrame(i, into: &pixels)
            return pixels
        }
    }
}
