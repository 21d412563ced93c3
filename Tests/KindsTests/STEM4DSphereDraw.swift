import Kinds
import SliplineTestSupport

/// The randomiser's 64² sphere draw `seed` through planner, shards and merge in a fresh
/// directory named after `label`, with `params` on top of the defaults (the particle job tests).
func sphereDraw(seed: UInt64, _ label: String, _ params: [String: String]) throws -> STEM4DQualityHarness.Draw {
    try STEM4DQualityHarness.run(.spheres, scan: 64, seed: seed,
                                 directory: try STEM4DFixtures.temporaryDirectory(label), extra: params)
}

/// The lateral split and the held floor as they were before they became the default (twenty-fifth
/// session): no lateral split, no rival, no three-against-one arm, the linear prediction under
/// the floor. A job test that measures one of these parts alone, against the stack without
/// them, starts from these and sets its own on top (`withoutLateralDefaults`).
let lateralSplitOff: [String: String] = [
    "particle_split_lateral": "false", "particle_split_lateral_rival": "false",
    "particle_split_lateral_rival_merge": "off", "particle_floor_held": "off",
]

/// `params` on top of `lateralSplitOff`.
func withoutLateralDefaults(_ params: [String: String]) -> [String: String] {
    lateralSplitOff.merging(params) { $1 }
}
