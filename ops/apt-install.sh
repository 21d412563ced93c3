#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are missing (apt-get, with sudo when not
# root). Idempotent: a no-op, without touching the network, when all are there. Used by
# install-deps.sh (what Slipline needs) and install-test-deps.sh (what only the tests need).
set -euo pipefail

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# (The Debian postgresql package would start a system-wide cluster; Slipline runs its own.)
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
