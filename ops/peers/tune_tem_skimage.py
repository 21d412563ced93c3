#!/usr/bin/env python3
"""tune_tem_skimage.py — grid search for tem_skimage.py's parameters on one synthetic video.

Scores every combination with `ctl eval tem --detections` (the evaluator Slipline is scored
with) and prints one line per combination: mean of F1, length and IDF1, then the figures and the
parameters; sort the output to find the best. The Frangi responses are computed once per
(sigmas, bg_sigma) and the curves once per detection combination, so tracking parameters are
cheap to sweep.

    /work/peer-venv/bin/python ops/peers/tune_tem_skimage.py VIDEO_DIR \\
        '{"high": [30, 45], "low": [10, 15], "min_length": [20, 40]}' \\
        '{"gate": [6, 10], "max_gap": [3, 8]}'  [BASE_PARAMS_JSON] | sort -r | head

CTL (default .build/release/ctl next to this repository's root) is the ctl binary. The
presets in tem_skimage.py were chosen this way on seed 1 of each difficulty (docs/tem.md).
"""
import itertools
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tem_skimage as T  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CTL = os.environ.get("CTL", os.path.join(ROOT, ".build", "release", "ctl"))


def evaluate(video, curves, ids, path):
    frames = [{"frame_index": f, "curves": [{"track_id": ids[f][j], "points": c.round(3).tolist()}
                                            for j, c in enumerate(cs)]} for f, cs in enumerate(curves)]
    with open(path, "w") as fh:
        json.dump({"format": T.FORMAT, "frames": frames}, fh)
    out = subprocess.run([CTL, "eval", "tem", "--truth", video, "--detections", path],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines()[1:]}


def main():
    video = sys.argv[1]
    det, trk = json.loads(sys.argv[2]), json.loads(sys.argv[3])
    base = dict(T.DEFAULTS)
    base.update(json.loads(sys.argv[4]) if len(sys.argv) > 4 else {})
    for k in list(det) + list(trk):
        if k not in base:
            sys.exit(f"unknown parameter {k}")
    names = T.list_frames(video)
    images = [T.read_frame(os.path.join(video, n)) for n in names]
    dkeys = sorted(det, key=lambda k: k not in ("sigmas", "bg_sigma"))
    tkeys = sorted(trk)
    tmp = os.path.join(tempfile.mkdtemp(prefix="tune-tem-"), "detections.json")
    rkey, responses = None, None
    for dc in itertools.product(*[det[k] for k in dkeys]):
        p = dict(base)
        p.update(zip(dkeys, dc))
        if rkey != (tuple(p["sigmas"]), p["bg_sigma"]):
            rkey = (tuple(p["sigmas"]), p["bg_sigma"])
            responses = [T.ridge_response(im, p) for im in images]
        curves = [T.finish_curves(T.trace(T.skeleton_from_response(r, p), p), p) for r in responses]
        for tc in itertools.product(*[trk[k] for k in tkeys]):
            q = dict(p)
            q.update(zip(tkeys, tc))
            ids = T.track(curves, q)
            m = evaluate(video, curves, ids, tmp)
            tracks = len({t for fr in ids for t in fr if t is not None})
            obj = (m["F1"] + m["length"] + m["IDF1"]) / 3
            print(f"{obj:.4f} F1 {m['F1']:.4f} P {m['precision']:.3f} R {m['recall']:.3f} length {m['length']:.4f} "
                  f"IDF1 {m['IDF1']:.4f} tracks {tracks} curves/frame {sum(map(len, curves)) / len(curves):.1f} | "
                  + " ".join(f"{k}={v}" for k, v in zip(dkeys + tkeys, dc + tc)), flush=True)


if __name__ == "__main__":
    main()
