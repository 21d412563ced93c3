#!/usr/bin/env bash
# Runs one reader's libFuzzer target: ops/fuzz.sh READER SECONDS [libFuzzer options...]
#   READER: a folder of ops/fuzz/ with fuzz.swift (the LLVMFuzzerTestOneInput entry),
#   sources.txt (the Swift files it is compiled with, relative to that folder's parent) and
#   corpus/ (committed seeds). Builds with swiftc -sanitize=fuzzer,address into
#   .build/fuzz/READER, fuzzes a working copy of the corpus, and prints libFuzzer's figures
#   (the last "stat::number_of_executed_units" line is the execution count).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 2 ]; then
  echo "usage: ops/fuzz.sh READER SECONDS [libFuzzer options...]; readers: $(ls ops/fuzz | grep -v common | tr '\n' ' ')" >&2
  exit 2
fi
reader=$1 seconds=$2
shift 2
dir=ops/fuzz/$reader
[ -f "$dir/fuzz.swift" ] || { echo "ops/fuzz.sh: no fuzz target $dir/fuzz.swift" >&2; exit 2; }
out=.build/fuzz/$reader
mkdir -p "$out/corpus"
sources=()
while read -r f; do [ -n "$f" ] && sources+=("ops/fuzz/$f"); done < "$dir/sources.txt"
# C shims the readers import (module maps), and their libraries.
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name SliplineFuzz \
  -I Sources/CZlib -I Sources/CLZ4 -lz -llz4 \
  "$dir/fuzz.swift" "${sources[@]}" -o "$out/fuzzer"
cp -n "$dir"/corpus/* "$out/corpus/" 2>/dev/null || true
"$out/fuzzer" "$out/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 "$@"
