#!/usr/bin/env bash
# Fuzzes one TEM frame reader with libFuzzer: ops/fuzz.sh READER SECONDS [libFuzzer options...]
#   READER: mrc, dm, ser, tiff, jpeg, png or video (AVI/MP4/MKV through libavformat/libavcodec)
# Builds .build/fuzz/fuzz-frames from the reader sources with -O -sanitize=fuzzer,address (Swift's
# libFuzzer support; optimised, as the readers run in production — a debug build spends its time
# in Swift's unoptimised runtime calls, not in the parsers), seeds it from ops/fuzz/corpus/READER (committed) and runs it for SECONDS
# with a 2 GB RSS limit, a 2 GB single-allocation limit and a 10 s per-input timeout. New
# interesting inputs go to .build/fuzz/corpus-READER (not committed); crashes to .build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/../.."
reader=${1:?usage: ops/fuzz.sh mrc|dm|ser|tiff|jpeg|png|video SECONDS}
seconds=${2:?usage: ops/fuzz.sh READER SECONDS}
shift 2
case "$reader" in mrc|dm|ser|tiff|jpeg|png|video) ;; *) echo "unknown reader $reader (mrc, dm, ser, tiff, jpeg, png, video)" >&2; exit 2;; esac

out=.build/fuzz
mkdir -p "$out/cpngio" "$out/corpus-$reader"
binary=$out/fuzz-frames
sources=(Sources/Shared/Formats/Frames/*.swift Sources/Shared/Formats/MRC/*.swift Sources/Shared/Formats/DM/*.swift
         Sources/Shared/Formats/SER/*.swift Sources/Shared/Formats/TIFF/*.swift Sources/Shared/Formats/JPEG/*.swift
         Sources/Shared/Formats/Video/*.swift
         Sources/Shared/Formats/FormatError.swift Sources/Shared/Formats/NaturalSort.swift Sources/Shared/Formats/PNGHeader.swift
         Sources/Shared/Formats/PNGImage.swift Sources/Shared/Formats/PNGLimits.swift Sources/Shared/Formats/MappedFile.swift Sources/Shared/Formats/TileTranspose.swift
         ops/fuzz/FuzzFrameReaders.swift)
newest=$(ls -t "${sources[@]}" Sources/CPNGIO/cpngio.c Sources/CFFmpeg/shim.h ops/fuzz.sh ops/fuzz/frame-readers.sh | head -1)
if [ ! -x "$binary" ] || [ "$newest" -nt "$binary" ]; then
  echo "building $binary" >&2
  printf 'module CPNGIO {\n  header "%s"\n  export *\n}\n' "$PWD/Sources/CPNGIO/include/cpngio.h" > "$out/cpngio/module.modulemap"
  clang -c -g -O1 -fsanitize=fuzzer-no-link,address $(pkg-config --cflags libpng) -I Sources/CPNGIO/include \
    Sources/CPNGIO/cpngio.c -o "$out/cpngio.o"
  swiftc -sanitize=fuzzer,address -parse-as-library -g -O -module-name FuzzFrames -D SLIPLINE_FUZZ \
    -I Sources/CTIFF -I Sources/CTurboJPEG -I Sources/CPNG -I "$out/cpngio" -I Sources/CFFmpeg \
    $(pkg-config --cflags-only-I libavformat | sed 's/-I/-Xcc -I/g') \
    "${sources[@]}" "$out/cpngio.o" -ltiff -lturbojpeg -lpng16 -lavformat -lavcodec -lswscale -lavutil -o "$binary"
fi
mkdir -p "ops/fuzz/corpus/$reader"
# Run a copy, so the next reader's build can replace the binary while this one fuzzes.
cp "$binary" "$binary-$reader"
SLIPLINE_FUZZ_READER=$reader "$binary-$reader" "$out/corpus-$reader" "ops/fuzz/corpus/$reader" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$out/crash-$reader-" "$@"
