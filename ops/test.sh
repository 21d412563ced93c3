#!/usr/bin/env bash
# The second README command, and what CI runs: install what is missing, build, and run the
# whole test suite against real PostgreSQL servers that the tests start themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

ops/install-deps.sh
# The interoperability tests read files written by independent writers (h5py, scipy, …) from a
# venv; under CI=true a missing one fails them instead of skipping (FormatsPython).
SLIPLINE_TEST_PYTHON=$(ops/interop/venv.sh)
export SLIPLINE_TEST_PYTHON
swift build --build-tests
swift test --skip-build "$@"
