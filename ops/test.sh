#!/usr/bin/env bash
# The second README command, and what CI runs: install what is missing, build, and run the
# whole test suite against real PostgreSQL servers that the tests start themselves.
#
#   ops/test.sh           the whole suite
#   ops/test.sh --fast    only the tests that need no database: KernelsTests, SharedTests,
#                         KindsTests, the in-memory TaskStore conformance suite and every
#                         class named *PureTests (≈10 s after the build on 2 cores)
#
# Further arguments go to `swift test` (e.g. --filter, --skip).
set -euo pipefail
cd "$(dirname "$0")/.."

fast='^(KernelsTests|SharedTests|KindsTests)\.|\.InMemoryTaskStoreTests/|PureTests/'
filter=()
if [ "${1:-}" = "--fast" ]; then
  shift
  filter=(--filter "$fast")
fi

ops/install-deps.sh
if [ ${#filter[@]} -eq 0 ]; then
  ops/install-test-deps.sh   # chromium for the browser tests, which the fast lane skips
  # The interoperability tests read files written by independent writers (h5py, scipy,
  # tifffile, …) from a venv; under CI=true a missing one fails them instead of skipping.
  SLIPLINE_TEST_PYTHON=$(ops/interop/venv.sh)
  export SLIPLINE_TEST_PYTHON
  export SLIPLINE_PYTHON="$SLIPLINE_TEST_PYTHON"
fi
swift build --build-tests
# Tests write their scratch files (inputs, outputs, database clusters) under one directory per
# run, removed when the run ends however it ends, so repeated runs do not fill /tmp.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/slipline-tests.XXXXXX")
chmod 755 "$scratch"   # as /tmp: the database server's own user may need to pass through
trap 'rm -rf "$scratch"' EXIT
TMPDIR="$scratch" swift test --skip-build "${filter[@]}" "$@"
