#!/usr/bin/env bash
# Installs what Slipline needs from Debian: the native libraries (libpq, HDF5, libpng, OpenBLAS,
# libtiff, TurboJPEG, zlib, LZ4, libavformat/libavcodec/libswscale) and the PostgreSQL server (for the embedded database and the
# tests). Idempotent; a no-op when all is there.
set -euo pipefail
# iproute2: `ip netns` for the multi-host test (Tests/ClusterTests).
exec "$(dirname "$0")/apt-install.sh" libpq-dev libhdf5-dev libpng-dev libopenblas-dev libtiff-dev libturbojpeg0-dev \
  zlib1g-dev liblz4-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev postgresql pkg-config iproute2
