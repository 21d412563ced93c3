#!/usr/bin/env python3
"""tem_skimage.py — a classical scikit-image pipeline for dislocations in TEM videos.

The peer that Slipline's TEM kernel is compared with (docs/tem.md, "Side by side with
scikit-image"; issue 3 item 7): the tool chain users assemble themselves from scikit-image
and SciPy. Per frame:

  1. read the PNG (8/16-bit grey; RGB(A) converted to luma), scale to [0, 1];
  2. flatten the background: subtract a Gaussian blur (sigma --bg-sigma px);
  3. ridge filter: skimage.filters.frangi(black_ridges=True, sigmas=--sigmas);
  4. hysteresis: skimage.filters.apply_hysteresis_threshold with thresholds from the frame's
     own noise: median + k * 1.4826 * MAD of the Frangi response (--high, --low);
  5. drop connected components smaller than --min-size px (skimage.morphology);
  6. skeletonize(method='lee');
  7. graph tracing: junction pixels (>= 3 skeleton neighbours) are nodes, the pixel runs
     between them edges; spurs (edges with a free end shorter than --spur px) are pruned;
     at each junction the edges are paired by straightness (turn <= --max-turn degrees) and
     joined, the others end there; so crossing lines pass through a crossing;
  8. each curve is smoothed along its length (Gaussian, --curve-smooth points), curves
     shorter than --min-length px are dropped, the rest resampled to 50 equally spaced points;
then over frames:
  9. tracking: scipy.optimize.linear_sum_assignment between the live tracks' last curves and
     the frame's curves, cost the symmetric mean closest-point distance (px), links above
     --gate px forbidden; a track may go unseen --max-gap frames; tracks seen in fewer than
     --min-track frames are dropped (their curves keep track_id null).

Frames are the *.png files of the directory in natural sort order (case-insensitive, digit
runs compared as numbers; hidden files skipped), as `ctl run` orders them: frame_index is the
position in that order, from 0.

Output (--out FILE, the format `ctl eval tem --detections FILE` reads):

  {"format": "slipline-tem-detections/1",
   "producer": "ops/peers/tem_skimage.py", "params": {...}, "versions": {...},
   "timing": {"frames": N, "cpu_seconds_frames": s, "cpu_seconds_tracking": s,
              "frames_per_cpu_second": f, "wall_seconds": s},
   "frames": [{"frame_index": 0, "file": "frame-00000.png",
               "curves": [{"track_id": 0, "points": [[x, y], ...]}, ...]}, ...]}

points are [x, y] px: x the column, y the row, origin at the centre of the top-left pixel;
track_id is null for a curve in no track.

Timing is CPU time of this process (time.process_time) for steps 1-8 and for step 9; run it
on one core by setting OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 (compare-tem.sh
does), so frames_per_cpu_second is frames per second on one core.

Install (not needed by Slipline's build or CI):
    python3 -m venv /work/peer-venv          # Debian: apt-get install -y python3-venv if missing
    /work/peer-venv/bin/pip install scikit-image scipy
Run:
    /work/peer-venv/bin/python ops/peers/tem_skimage.py VIDEO_DIR --out peer.json [--preset medium]
    ctl eval tem --truth VIDEO_DIR --detections peer.json
Tested with Python 3.11, scikit-image 0.26.0, SciPy 1.17.1, NumPy 2.4.6.
"""

import argparse
import json
import math
import os
import re
import sys
import time

import numpy as np
import scipy
import skimage
from scipy import ndimage as ndi
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from skimage import io as skio
from skimage.color import rgb2gray
from skimage.filters import apply_hysteresis_threshold, frangi, gaussian
from skimage.morphology import remove_small_objects, skeletonize

FORMAT = "slipline-tem-detections/1"

# Parameters tuned on seed 1 of each `ctl synth tem --difficulty` preset (60 frames), by grid
# search on the mean of F1, length and IDF1 from `ctl eval tem --detections` (docs/tem.md);
# --preset picks one set, single flags override it. DEFAULTS are the medium set.
DEFAULTS = dict(
    bg_sigma=10.0,        # px, background blur subtracted before the ridge filter
    sigmas=[1.0, 1.5, 2.0],  # px, Frangi scales
    high=45.0,            # hysteresis high threshold, robust sigmas (MAD) above the median
    low=10.0,             # hysteresis low threshold
    min_size=30,          # px, smallest connected component kept before skeletonizing
    spur=10.0,            # px, free-ended skeleton branches shorter than this are pruned
    max_turn=45.0,        # degrees, largest turn when joining edges through a junction
    curve_smooth=2.0,     # points (1 px apart), Gaussian smoothing along each curve
    min_length=40.0,      # px, shorter curves are dropped
    points=50,            # points per resampled curve
    gate=10.0,            # px, largest curve distance for a frame-to-frame link
    partial=False,        # curve distance: mean of both directions, or (True) the smaller
    max_gap=8,            # frames a track may go unseen
    min_track=5,          # tracks seen in fewer frames are dropped
)
PRESETS = {
    # seed 1: one dislocation; every gate/gap ties, low 25 beat 10 and 15 on length
    "easy": dict(low=25.0),
    "medium": {},
    # seed 1: finer scales separate close pairs better; lower thresholds for the fainter lines
    "hard": dict(sigmas=[0.8, 1.2, 1.6], high=30.0, min_length=20.0),
}


# ---------------------------------------------------------------------------------------
# Frames


def natural_key(name):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_frames(directory):
    names = [n for n in os.listdir(directory)
             if n.lower().endswith(".png") and not n.startswith(".")
             and os.path.isfile(os.path.join(directory, n))]
    return sorted(names, key=natural_key)


def read_frame(path):
    img = skio.imread(path)
    if img.ndim == 3:
        if img.shape[2] == 4:
            img = img[..., :3]
        img = rgb2gray(img)  # float in [0, 1]
    elif img.dtype == np.uint16:
        img = img.astype(np.float64) / 65535.0
    elif img.dtype == np.uint8:
        img = img.astype(np.float64) / 255.0
    else:
        img = img.astype(np.float64)
    return img


# ---------------------------------------------------------------------------------------
# Detection


def ridge_response(img, p):
    flat = img - gaussian(img, sigma=p["bg_sigma"], preserve_range=True)
    return frangi(flat, sigmas=p["sigmas"], black_ridges=True)


def skeleton_from_response(r, p):
    med = float(np.median(r))
    mad = 1.4826 * float(np.median(np.abs(r - med)))
    if mad <= 0:
        mad = float(r.std()) or 1.0
    mask = apply_hysteresis_threshold(r, med + p["low"] * mad, med + p["high"] * mad)
    if _REMOVE_SMALL_HAS_MAX_SIZE:  # components of fewer than min_size px go, 8-connected
        mask = remove_small_objects(mask, max_size=max(int(p["min_size"]) - 1, 0), connectivity=2)
    else:
        mask = remove_small_objects(mask, min_size=int(p["min_size"]), connectivity=2)
    return skeletonize(mask, method="lee").astype(bool)


try:  # scikit-image >= 0.26 renamed min_size (objects < min_size go) to max_size (<= go)
    import inspect
    _REMOVE_SMALL_HAS_MAX_SIZE = "max_size" in inspect.signature(remove_small_objects).parameters
except Exception:  # pragma: no cover
    _REMOVE_SMALL_HAS_MAX_SIZE = False

_OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def _neighbours(pix, y, x):
    h, w = pix.shape
    for dy, dx in _OFFSETS:
        yy, xx = y + dy, x + dx
        if 0 <= yy < h and 0 <= xx < w and pix[yy, xx]:
            yield yy, xx


def _order_run(pixels):
    """Orders the pixels of one junction-free run (a path or a cycle) along it: from a pixel
    with the fewest neighbours, walked both ways (4-neighbours first, so that a staircase is
    followed pixel by pixel)."""
    if len(pixels) == 1:
        return pixels
    inrun = set(pixels)

    def nbrs(q):
        return [(q[0] + dy, q[1] + dx) for dy, dx in _OFFSETS if (q[0] + dy, q[1] + dx) in inrun]

    start = min(pixels, key=lambda q: len(nbrs(q)))
    seen = {start}

    def walk(cur):
        out = []
        while True:
            cand = [q for q in nbrs(cur) if q not in seen]
            if not cand:
                return out
            cur = min(cand, key=lambda q: abs(q[0] - cur[0]) + abs(q[1] - cur[1]))
            out.append(cur)
            seen.add(cur)

    first = walk(start)
    second = walk(start)
    return second[::-1] + [start] + first


def crossing_number(skel):
    """Number of background→skeleton transitions around each pixel's 8 neighbours, in
    circular order: 1 at a line end, 2 along a line (also on 8-connected staircases), ≥ 3 at
    a junction."""
    pad = np.pad(skel, 1).astype(np.int8)
    h, w = skel.shape
    ring = [(0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0), (0, 0)]  # N NE E SE S SW W NW
    nb = [pad[dy:dy + h, dx:dx + w] for dy, dx in ring]
    cn = np.zeros((h, w), np.int8)
    for i in range(8):
        cn += (nb[i] == 0) & (nb[(i + 1) % 8] == 1)
    return cn


def trace(skel, p):
    """Skeleton → list of curves (N×2 arrays of [x, y]) by graph tracing."""
    skel = skel.copy()
    h, w = skel.shape
    junction = skel & (crossing_number(skel) >= 3)
    jlab, nj = ndi.label(junction, structure=np.ones((3, 3)))
    runs_mask = skel & ~junction
    rlab, nr = ndi.label(runs_mask, structure=np.ones((3, 3)))
    if nr == 0:
        return []
    node_centre = ndi.center_of_mass(junction, jlab, range(1, nj + 1)) if nj else []

    # edges: ordered pixel runs and the junction node (or None) at each end
    edges = []
    objs = ndi.find_objects(rlab)
    for i, sl in enumerate(objs, start=1):
        ys, xs = np.nonzero(rlab[sl] == i)
        pixels = [(int(y) + sl[0].start, int(x) + sl[1].start) for y, x in zip(ys, xs)]
        order = _order_run(pixels)
        ends = []
        for (y, x) in (order[0], order[-1]):
            node = None
            for yy, xx in _neighbours(junction, y, x):
                node = int(jlab[yy, xx]) - 1
                break
            ends.append(node)
        edges.append({"pix": np.array(order, dtype=float), "ends": ends, "alive": True})

    def length(e):
        d = np.diff(e["pix"], axis=0)
        return float(np.hypot(d[:, 0], d[:, 1]).sum()) if len(d) else 0.0

    # spur pruning: free-ended short edges hanging off a junction (repeat: pruning exposes more)
    for _ in range(3):
        degree = np.zeros(max(nj, 1), int)
        for e in edges:
            if e["alive"]:
                for n in e["ends"]:
                    if n is not None:
                        degree[n] += 1
        pruned = False
        for e in edges:
            if not e["alive"]:
                continue
            a, b = e["ends"]
            free = (a is None) != (b is None)
            n = a if a is not None else b
            if free and degree[n] >= 3 and length(e) < p["spur"]:
                e["alive"] = False
                degree[n] -= 1
                pruned = True
        if not pruned:
            break

    # pair edge ends at each junction by straightness
    incident = {}  # node -> [(edge index, end 0/1)]
    for k, e in enumerate(edges):
        if not e["alive"]:
            continue
        for side, n in enumerate(e["ends"]):
            if n is not None:
                incident.setdefault(n, []).append((k, side))

    def outward(k, side):
        """Unit direction from the junction into edge k, measured over ~6 px."""
        pix = edges[k]["pix"]
        seq = pix if side == 0 else pix[::-1]
        a = seq[0]
        b = seq[min(6, len(seq) - 1)]
        d = b - a
        nrm = math.hypot(d[0], d[1])
        return d / nrm if nrm > 0 else None

    link = {}  # (edge, side) -> (edge, side) joined through a junction
    cos_max = -math.cos(math.radians(p["max_turn"]))  # outward directions nearly opposite
    for n, ends in incident.items():
        if len(ends) < 2:
            continue
        dirs = [outward(k, s) for (k, s) in ends]
        cands = []
        for i in range(len(ends)):
            for j in range(i + 1, len(ends)):
                if ends[i][0] == ends[j][0] or dirs[i] is None or dirs[j] is None:
                    continue
                c = float(dirs[i] @ dirs[j])
                if c <= cos_max:
                    cands.append((c, i, j))
        cands.sort()
        used = set()
        for c, i, j in cands:
            if i in used or j in used:
                continue
            used.update((i, j))
            link[ends[i]] = (ends[j], n)
            link[ends[j]] = (ends[i], n)

    # walk the chains of linked edges
    curves = []
    visited = set()
    for k, e in enumerate(edges):
        if not e["alive"] or k in visited:
            continue
        # go back to the start of this chain
        cur, side = k, 0
        steps = 0
        while (cur, side) in link and steps < len(edges):
            (nk, nside), _ = link[(cur, side)]
            if nk == k:
                break  # a cycle
            cur, side = nk, 1 - nside
            steps += 1
        # walk forward from (cur, side) = the chain's start end
        pts = []
        while True:
            visited.add(cur)
            seq = edges[cur]["pix"] if side == 0 else edges[cur]["pix"][::-1]
            pts.append(seq)
            out = (cur, 1 - side)
            if out not in link:
                break
            (nk, nside), node = link[out]
            if nk in visited:
                break
            cy, cx = node_centre[node]
            pts.append(np.array([[cy, cx]]))
            cur, side = nk, nside
        yx = np.vstack(pts)
        curves.append(yx[:, ::-1].copy())  # [x, y]
    return curves


def resample(xy, n=None, spacing=None):
    d = np.hypot(*np.diff(xy, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(d)])
    if s[-1] <= 0:
        return xy[:1]
    if n is None:
        n = max(int(round(s[-1] / spacing)) + 1, 2)
    t = np.linspace(0, s[-1], n)
    return np.stack([np.interp(t, s, xy[:, 0]), np.interp(t, s, xy[:, 1])], axis=1)


def finish_curves(curves, p):
    out = []
    for xy in curves:
        if len(xy) < 2:
            continue
        xy = resample(xy, spacing=1.0)
        if p["curve_smooth"] > 0 and len(xy) > 3:
            xy = ndi.gaussian_filter1d(xy, p["curve_smooth"], axis=0, mode="nearest")
        d = np.hypot(*np.diff(xy, axis=0).T)
        if d.sum() < p["min_length"]:
            continue
        out.append(resample(xy, n=int(p["points"])))
    return out


def detect(img, p):
    return finish_curves(trace(skeleton_from_response(ridge_response(img, p), p), p), p)


# ---------------------------------------------------------------------------------------
# Tracking


def curve_distance(a, b, tree_b=None, partial=False):
    """Mean closest-point distance (px) between two resampled curves: the mean of both
    directions, or with `partial` the smaller one (a fragment lying on a whole curve is near)."""
    tb = tree_b if tree_b is not None else cKDTree(b)
    da, _ = tb.query(a)
    db, _ = cKDTree(a).query(b)
    if partial:
        return min(float(da.mean()), float(db.mean()))
    return 0.5 * (float(da.mean()) + float(db.mean()))


def track(frames_curves, p):
    """frames_curves[f] = list of curves → track_ids[f][c] (int or None)."""
    big = 1e6
    ids = [[None] * len(cs) for cs in frames_curves]
    live = []  # dicts: id, curve, last frame
    members = {}
    next_id = 0
    for f, cs in enumerate(frames_curves):
        live = [t for t in live if f - t["last"] <= p["max_gap"] + 1]
        if live and cs:
            trees = [cKDTree(c) for c in cs]
            cost = np.full((len(live), len(cs)), big)
            for i, t in enumerate(live):
                ct = t["curve"]
                cmin, cmax = ct.min(axis=0) - p["gate"], ct.max(axis=0) + p["gate"]
                for j, c in enumerate(cs):
                    if (c.max(axis=0) < cmin).any() or (c.min(axis=0) > cmax).any():
                        continue
                    dist = curve_distance(ct, c, trees[j], partial=p["partial"])
                    if dist <= p["gate"]:
                        cost[i, j] = dist
            rows, cols = linear_sum_assignment(cost)
            matched = set()
            for i, j in zip(rows, cols):
                if cost[i, j] >= big:
                    continue
                t = live[i]
                t["curve"], t["last"] = cs[j], f
                ids[f][j] = t["id"]
                members[t["id"]].append((f, j))
                matched.add(j)
        else:
            matched = set()
        for j, c in enumerate(cs):
            if j in matched:
                continue
            t = {"id": next_id, "curve": c, "last": f}
            next_id += 1
            live.append(t)
            ids[f][j] = t["id"]
            members[t["id"]] = [(f, j)]
    # drop short tracks, renumber the rest from 0 in order of first appearance
    renum = {}
    for tid in sorted(members):
        if len(members[tid]) >= p["min_track"]:
            renum[tid] = len(renum)
    for f in range(len(ids)):
        ids[f] = [renum.get(t) if t is not None else None for t in ids[f]]
    return ids


# ---------------------------------------------------------------------------------------


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video", help="directory of PNG frames (e.g. written by `ctl synth tem`)")
    ap.add_argument("--out", required=True, help="detections JSON to write")
    ap.add_argument("--preset", choices=sorted(PRESETS), help="parameters tuned on this difficulty")
    ap.add_argument("--frames", type=int, help="only the first N frames")
    ap.add_argument("--bg-sigma", type=float)
    ap.add_argument("--sigmas", type=lambda s: [float(v) for v in s.split(",")], help="e.g. 1,1.5,2")
    ap.add_argument("--high", type=float)
    ap.add_argument("--low", type=float)
    ap.add_argument("--min-size", type=int)
    ap.add_argument("--spur", type=float)
    ap.add_argument("--max-turn", type=float)
    ap.add_argument("--curve-smooth", type=float)
    ap.add_argument("--min-length", type=float)
    ap.add_argument("--points", type=int)
    ap.add_argument("--gate", type=float)
    ap.add_argument("--partial", type=int, choices=[0, 1], help="1: fragment-tolerant curve distance")
    ap.add_argument("--max-gap", type=int)
    ap.add_argument("--min-track", type=int)
    return ap.parse_args(argv)


def params_from(args):
    p = dict(DEFAULTS)
    if args.preset:
        p.update(PRESETS[args.preset])
    for k in DEFAULTS:
        v = getattr(args, k, None)
        if v is not None:
            p[k] = v
    p["partial"] = bool(p["partial"])
    return p


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    p = params_from(args)
    if not os.path.isdir(args.video):
        sys.exit(f"tem_skimage: {args.video} is not a directory")
    names = list_frames(args.video)
    if args.frames:
        names = names[: args.frames]
    if not names:
        sys.exit(f"tem_skimage: no .png frames in {args.video}")
    wall0 = time.time()
    cpu0 = time.process_time()
    curves = []
    for name in names:
        curves.append(detect(read_frame(os.path.join(args.video, name)), p))
    cpu1 = time.process_time()
    ids = track(curves, p)
    cpu2 = time.process_time()
    frames = []
    for f, (name, cs) in enumerate(zip(names, curves)):
        frames.append({"frame_index": f, "file": name, "curves": [
            {"track_id": ids[f][j], "points": [[round(float(x), 3), round(float(y), 3)] for x, y in c]}
            for j, c in enumerate(cs)]})
    n = len(names)
    timing = {"frames": n, "cpu_seconds_frames": round(cpu1 - cpu0, 3),
              "cpu_seconds_tracking": round(cpu2 - cpu1, 3),
              "frames_per_cpu_second": round(n / max(cpu2 - cpu0, 1e-9), 3),
              "wall_seconds": round(time.time() - wall0, 3)}
    doc = {"format": FORMAT, "producer": "ops/peers/tem_skimage.py", "video": os.path.abspath(args.video),
           "params": p, "versions": {"python": sys.version.split()[0], "scikit-image": skimage.__version__,
                                     "scipy": scipy.__version__, "numpy": np.__version__},
           "timing": timing, "frames": frames}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    os.replace(tmp, args.out)
    ntracks = len({t for fr in ids for t in fr if t is not None})
    print(f"tem_skimage: {n} frame(s), {sum(map(len, curves))} curve(s), {ntracks} track(s); "
          f"{timing['frames_per_cpu_second']:.2f} frames/CPU-s "
          f"(frames {timing['cpu_seconds_frames']:.1f} s, tracking {timing['cpu_seconds_tracking']:.2f} s CPU); "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
