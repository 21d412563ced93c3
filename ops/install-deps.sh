#!/usr/bin/env bash
# Installs what Slipline needs from Debian: the four native libraries and the PostgreSQL
# server (for the embedded database and the tests). Idempotent; a no-op when all is there.
set -euo pipefail

# iproute2: `ip netns` for the multi-host test (Tests/ClusterTests).
packages=(libpq-dev libhdf5-dev libpng-dev libopenblas-dev libtiff-dev libturbojpeg0-dev zlib1g-dev liblz4-dev postgresql pkg-config iproute2)
missing=()
for p in "${packages[@]}"; do
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
# The Debian postgresql package would start a system-wide cluster; Slipline runs its own.
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
