#!/usr/bin/env bash
# Fuzzes one reader with libFuzzer + AddressSanitizer: ops/fuzz.sh READER SECONDS [libFuzzer options...]
#   TEM frame readers (ops/fuzz/frame-readers.sh): mrc, dm, ser, tiff, jpeg, png, video
#   other readers, one folder each under ops/fuzz/ (ops/fuzz/targets.sh): bitshuffle-lz4, empad, mat, npz
# Figures (executions, findings) are in docs/formats.md.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  mrc|dm|ser|tiff|jpeg|png|video) exec ops/fuzz/frame-readers.sh "$@" ;;
  "") echo "usage: ops/fuzz.sh READER SECONDS; readers: mrc dm ser tiff jpeg png video $(ls ops/fuzz | grep -v -e common -e corpus -e '\.' | tr '\n' ' ')" >&2; exit 2 ;;
  *) exec ops/fuzz/targets.sh "$@" ;;
esac
