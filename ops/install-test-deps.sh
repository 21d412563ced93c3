#!/usr/bin/env bash
# Installs what only the test suite needs (not the runtime): Debian's chromium, which the
# dashboard's browser tests (Tests/DashboardTests/BrowserTests.swift) drive headless.
# Idempotent; a no-op when it is there.
set -euo pipefail
exec "$(dirname "$0")/apt-install.sh" chromium
