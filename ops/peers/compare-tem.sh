#!/usr/bin/env bash
# compare-tem.sh — Slipline and the scikit-image peer (ops/peers/tem_skimage.py) side by side
# on the same synthetic TEM videos, scored by the same evaluator (`ctl eval tem`).
#
# For every difficulty preset × seed: `ctl synth tem` writes the video (kept and reused when it
# is already there with the same frame count), `ctl run` processes it on a private embedded
# database (one worker; its CPU time is measured), `ctl eval tem --job` scores the job; the peer
# runs on the same frames on one core and `ctl eval tem --detections` scores its JSON. Prints
# one table (also written to WORKDIR/table.txt) and leaves every output in WORKDIR.
#
# Usage (from the repository root, after `swift build -c release --product ctl`):
#   ops/peers/compare-tem.sh [WORKDIR]            # default WORKDIR /tmp/slipline-compare-tem
# Environment:
#   CTL          ctl binary                  (default .build/release/ctl)
#   PEER_PYTHON  python with scikit-image    (default /work/peer-venv/bin/python; install:
#                python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install scikit-image scipy)
#   PRESETS      difficulties                (default "easy medium hard")
#   SEEDS        seeds                       (default "1 2 3")
#   FRAMES       frames per video            (default 60)
#   PEER_ARGS    extra tem_skimage.py flags  (default none: its --preset parameters)
#   JOBS         parallel peer runs          (default 1; each is single-threaded, so its speed is
#                                             per core either way, but 2 on a busy 2-core VM slows both)
# Slipline runs use SLIPLINE_HOME=WORKDIR/home (a private embedded PostgreSQL, stopped at the end)
# unless SLIPLINE_DATABASE_URL is set. Re-running re-runs both tools on the kept videos; a fresh
# WORKDIR re-synthesises them too.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${1:-/tmp/slipline-compare-tem}
CTL=${CTL:-$root/.build/release/ctl}
PEER_PYTHON=${PEER_PYTHON:-/work/peer-venv/bin/python}
PRESETS=${PRESETS:-"easy medium hard"}
SEEDS=${SEEDS:-"1 2 3"}
FRAMES=${FRAMES:-60}
PEER_ARGS=${PEER_ARGS:-}
JOBS=${JOBS:-1}

[ -x "$CTL" ] || { echo "compare-tem: no ctl at $CTL (swift build -c release --product ctl, or set CTL)" >&2; exit 2; }
"$PEER_PYTHON" -c 'import skimage, scipy' 2>/dev/null || {
    echo "compare-tem: $PEER_PYTHON cannot import scikit-image and scipy; see the header of this script" >&2; exit 2; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
if [ -z "${SLIPLINE_DATABASE_URL:-}" ]; then
    export SLIPLINE_HOME="$WORK/home"
    trap '"$CTL" db stop >/dev/null 2>&1 || true' EXIT
fi
# The peer on one core: no BLAS/OpenMP threads.
peer_env=(env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1)

# metric NAME FILE: the value of the `NAME v` line `ctl eval tem` printed
metric() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

start=$(date +%s)
# 1. the videos
for d in $PRESETS; do
    for s in $SEEDS; do
        v="$WORK/$d-$s"
        if ! [ -f "$v/truth.json" ] || [ "$(ls "$v" | grep -c '\.png$')" != "$FRAMES" ]; then
            rm -rf "$v"
            "$CTL" synth tem "$v" --frames "$FRAMES" --seed "$s" --difficulty "$d" > "$WORK/$d-$s.synth.log"
        fi
    done
done

peer_run() { # preset seed
    local v="$WORK/$1-$2" out="$WORK/$1-$2.peer.json"
    rm -f "$out"
    # shellcheck disable=SC2086
    "${peer_env[@]}" "$PEER_PYTHON" "$here/tem_skimage.py" "$v" --out "$out" --preset "$1" $PEER_ARGS \
        > "$WORK/$1-$2.peer.log" 2>&1 || echo "compare-tem: peer failed on $v, see $WORK/$1-$2.peer.log" >&2
}

# the peer runs in the background, JOBS at a time, while Slipline runs in the foreground
(
    for d in $PRESETS; do
        for s in $SEEDS; do
            while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
            peer_run "$d" "$s" &
        done
    done
    wait
) &
peers=$!

# 2. Slipline, one worker at a time (while the peer runs: both are timed in CPU seconds)
for d in $PRESETS; do
    for s in $SEEDS; do
        v="$WORK/$d-$s"
        /usr/bin/time -f '%U %S %e' -o "$WORK/$d-$s.ctl.time" \
            "$CTL" run "$v" --workers 1 --param "output_dir=$WORK/$d-$s.report" > "$WORK/$d-$s.run.log" 2>&1 || true
        job=$(tail -n 1 "$WORK/$d-$s.run.log" | awk '$1 == "job" { print $2 }')
        [ -n "$job" ] || { echo "compare-tem: ctl run $v printed no job line, see $WORK/$d-$s.run.log" >&2; exit 1; }
        "$CTL" eval tem --truth "$v" --job "$job" > "$WORK/$d-$s.eval-slipline.txt"
    done
done

wait "$peers"
for d in $PRESETS; do
    for s in $SEEDS; do
        [ -f "$WORK/$d-$s.peer.json" ] || { echo "compare-tem: no peer output for $d-$s, see $WORK/$d-$s.peer.log" >&2; exit 1; }
        "$CTL" eval tem --truth "$WORK/$d-$s" --detections "$WORK/$d-$s.peer.json" > "$WORK/$d-$s.eval-peer.txt"
    done
done

# 3. the table
{
    echo "videos: ctl synth tem --frames $FRAMES --seed S --difficulty D (easy 256×256, medium/hard 512×512)"
    echo "Slipline: $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?'), ctl run --workers 1; peer: tem_skimage.py --preset D $PEER_ARGS"
    echo "speed: frames per CPU-second on one core (Slipline: the whole ctl run, with planning, merge, tracking and report files; peer: read + detect + track)"
    printf '%-7s %-5s | %-27s | %-27s | %-17s\n' "" "" "Slipline" "scikit-image peer" "frames/CPU-s"
    printf '%-7s %-5s | %-6s %-6s %-6s %-6s | %-6s %-6s %-6s %-6s | %-8s %-8s\n' \
        preset seed F1 length IDF1 tracks F1 length IDF1 tracks Slipline peer
    for d in $PRESETS; do
        for s in $SEEDS; do
            a="$WORK/$d-$s.eval-slipline.txt"; b="$WORK/$d-$s.eval-peer.txt"
            read -r u sy _ < "$WORK/$d-$s.ctl.time"
            fs=$(awk -v n="$FRAMES" -v u="$u" -v s="$sy" 'BEGIN { printf "%.1f", n / (u + s) }')
            fp=$("$PEER_PYTHON" -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["timing"]["frames_per_cpu_second"])' "$WORK/$d-$s.peer.json")
            ta=$(sed -n 's/.* \([0-9]*\) track(s).*/\1/p' "$a"); tb=$(sed -n 's/.* \([0-9]*\) track(s).*/\1/p' "$b")
            tt=$("$PEER_PYTHON" -c 'import json,sys; print(len({d["id"] for f in json.load(open(sys.argv[1]))["frames"] for d in f["dislocations"]}))' "$WORK/$d-$s/truth.json")
            printf '%-7s %-5s | %-6s %-6s %-6s %-6s | %-6s %-6s %-6s %-6s | %-8s %-8s\n' "$d" "$s" \
                "$(metric F1 "$a")" "$(metric length "$a")" "$(metric IDF1 "$a")" "$ta/$tt" \
                "$(metric F1 "$b")" "$(metric length "$b")" "$(metric IDF1 "$b")" "$tb/$tt" "$fs" "$fp"
        done
        for who in slipline peer; do
            files=(); for s in $SEEDS; do files+=("$WORK/$d-$s.eval-$who.txt"); done
            awk -v who="$who" -v d="$d" '
                $1 == "F1" { f += $2 } $1 == "length" { l += $2 } $1 == "IDF1" { i += $2; n++ }
                END { if (n) printf "%-7s mean  %-9s F1 %.3f  length %.3f  IDF1 %.3f\n", d, who, f / n, l / n, i / n }' \
                "${files[@]}"
        done
    done
    echo "(tracks: tracks reported / true dislocations; $(( $(date +%s) - start )) s in all)"
} | tee "$WORK/table.txt"
