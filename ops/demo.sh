#!/usr/bin/env bash
# The first README command: install what is missing, build (release), make a small demo
# input and run it end to end on the embedded database.
set -euo pipefail
cd "$(dirname "$0")/.."

ops/install-deps.sh
swift build -c release --product ctl
ctl=.build/release/ctl

demo=${SLIPLINE_DEMO_DIR:-$PWD/.demo}
mkdir -p "$demo"
echo "== a queue workout: 20,000 no-op tasks and a merge, on the embedded database"
"$ctl" run queue-workout --kind bench --param tasks=20000
