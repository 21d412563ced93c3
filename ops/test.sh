#!/usr/bin/env bash
# The second README command, and what CI runs: install what is missing, build, and run the
# whole test suite against real PostgreSQL servers that the tests start themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

ops/install-deps.sh
ops/install-test-deps.sh
swift build --build-tests
swift test --skip-build "$@"
