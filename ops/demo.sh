#!/usr/bin/env bash
# The first README command: install what is missing, build (release), make a small demo
# input and run it end to end on the embedded database, then query and score the result.
set -euo pipefail
cd "$(dirname "$0")/.."

ops/install-deps.sh
swift build -c release --product ctl
ctl=.build/release/ctl

demo=${SLIPLINE_DEMO_DIR:-$PWD/.demo}
video="$demo/tem-video"
if [ ! -f "$video/params.json" ]; then
  echo "== writing a synthetic in-situ TEM video (300 frames of 512×512, two pile-ups) to $video"
  "$ctl" synth tem "$video" --frames 300 --difficulty medium --seed 7
fi

echo "== processing it on the embedded database"
"$ctl" run "$video" | tee "$demo/run.log"
job=$(tail -n 1 "$demo/run.log" | awk '{print $2}')

echo "== the tracks, from SQL"
"$ctl" sql "SELECT track_id, first_frame, last_frame, n_frames FROM tem_tracks WHERE job_id = $job ORDER BY track_id"
echo "== scored against the ground truth"
"$ctl" eval tem --truth "$video" --job "$job"
echo "== job $job done; results under $("$ctl" sql "SELECT params->>'output_dir' FROM jobs WHERE id = $job" --csv | tail -n 1)"
