import Kinds
import SliplineTestSupport

/// The randomiser's 64² sphere draw `seed` through planner, shards and merge in a fresh
/// directory named after `label`, with `params` on top of the defaults (the particle job tests).
func sphereDraw(seed: UInt64, _ label: String, _ params: [String: String]) throws -> STEM4DQualityHarness.Draw {
    try STEM4DQualityHarness.run(.spheres, scan: 64, seed: seed,
                                 directory: try STEM4DFixtures.temporaryDirectory(label), extra: params)
}
