/// The tracker apart from the detector (`ctl bench tem --degraded-draws N`): each draw is a
/// randomised video's truth (`TEMSynthParams.randomized`: drift, dropped and repeated frames,
/// bursts and stops, close pairs, crossings, entering and leaving) degraded as a detector
/// degrades it (`TEMDetectionDegradation`, its rates drawn per video), tracked as the
/// hierarchical merge tracks (pieces linked by `TEMPiecewiseTracking`; 0: one pass) and scored.
/// No frame is rendered, so hundreds of long draws are cheap.
public enum TEMDegradedDrawsBenchmark {
    public static func run(_ difficulty: TEMDifficulty, count: Int, frames: Int, firstSeed: UInt64 = 1,
                           threads: Int = Parallel.defaultThreads(), tracker: TEMTrackerConfig = TEMTrackerConfig(),
                           framesPerPiece: Int = 1000, style: TEMDetectionDegradation.Style = .basic,
                           points: Int = 50) -> [TEMDrawsBenchmark.Draw] {
        let draws = try? Parallel.map(count, threads: threads) { k -> TEMDrawsBenchmark.Draw in
            let seed = firstSeed + UInt64(k)
            let (params, synth, detected, drift, tracks) = one(difficulty, seed: seed, frames: frames, tracker: tracker,
                                                               framesPerPiece: framesPerPiece, style: style, points: points)
            let e = TEMEvaluator.evaluate(truth: synth.truth, detected: detected, tracks: tracks)
            let driftErrors = zip(drift, synth.stage.drift).map { TEMPolyline.norm($0 - $1) }
            return TEMDrawsBenchmark.Draw(difficulty: difficulty, seed: seed, lineStyle: params.nuisance?.lineStyle ?? .dark,
                                          evaluation: e, tracks: tracks.count,
                                          trueDislocations: Set(synth.truth.flatMap { $0.map(\.id) }).count,
                                          driftError: TEMDrawsBenchmark.quantile(driftErrors, 0.5),
                                          // No frames are rendered here, so no visibility is measured.
                                          cnr: params.cameraCNR ?? .infinity, visibility: .nan)
        }
        return draws ?? []
    }

    /// One draw: its parameters, truth, degraded detections (image coordinates), the drift
    /// estimate and the tracks.
    static func one(_ difficulty: TEMDifficulty, seed: UInt64, frames: Int, tracker: TEMTrackerConfig, framesPerPiece: Int,
                    style: TEMDetectionDegradation.Style, points: Int = 50)
        -> (TEMSynthParams, TEMSynthesizer, [[[TEMPoint]]], [TEMPoint], [TEMTrack]) {
        let params = TEMSynthParams.randomized(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        var degradation = TEMDetectionDegradation.draw(seed: seed, style: style)
        degradation.points = points
        let (detected, drift) = degradation.degrade(synth.truth, stage: synth.stage, width: params.width,
                                                     height: params.height, seed: seed)
        let registered = zip(detected, drift).map { curves, d in curves.map { $0.map { $0 - d } } }
        let tracks = framesPerPiece > 0
            ? TEMPiecewiseTracking.track(registered, framesPerPiece: framesPerPiece, config: tracker)
            : TEMTracker.track(registered, config: tracker)
        return (params, synth, detected, drift, tracks)
    }

    /// Where identities break in one draw (`TEMBenchmark.identityBreaks`), with its degradation.
    public static func diagnose(_ difficulty: TEMDifficulty, seed: UInt64, frames: Int, tracker: TEMTrackerConfig,
                                framesPerPiece: Int, style: TEMDetectionDegradation.Style = .basic, points: Int = 50) -> String {
        let (_, synth, detected, _, tracks) = one(difficulty, seed: seed, frames: frames, tracker: tracker, framesPerPiece: framesPerPiece,
                                                  style: style, points: points)
        let d = TEMDetectionDegradation.draw(seed: seed, style: style)
        let header = String(format: "seed %llu: fragment %.2f, miss %.3f, lost runs %.4f, jitter %.2f px, spurious %.2f/frame, clutter %d, registration σ %.2f px, corner %.2f (switch %.2f), min piece %.0f px",
                            seed, d.pFragment, d.pMiss, d.pLostRun, d.jitter, d.spuriousPerFrame, d.clutterFeatures, d.registrationError,
                            d.pCorner, d.cornerSwitch, d.minPieceLength)
        return header + "\n" + TEMBenchmark.identityBreaks(truth: synth.truth, detected: detected, tracks: tracks)
    }
}
