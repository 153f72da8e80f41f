#!/usr/bin/env bash
# Writes Tests/ImagingTests/Fixtures/jpeg/rgb.jpg: a JPEG stored in the RGB colour space (no YCbCr
# transform), made by libjpeg-turbo's own cjpeg (apt: libjpeg-turbo-progs). Imaging's tests decode it
# with libjpeg to gray (libjpeg's RGB-to-gray conversion is the reference for ColorConversion.luma)
# and to RGB. Deterministic: the picture is a seeded pattern written as a binary PPM.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/Tests/ImagingTests/Fixtures/jpeg"
mkdir -p "$out"
ppm=$(mktemp)
trap 'rm -f "$ppm"' EXIT
python3 - "$ppm" <<'PY'
import sys
w, h = 96, 64
state = 12345
pixels = bytearray()
for y in range(h):
    for x in range(w):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        noise = state >> 16
        # Gradients over the whole range plus noise, so every weight and the rounding are exercised.
        pixels += bytes([(x * 255 // (w - 1) + noise) & 0xFF, (y * 255 // (h - 1) + (noise >> 3)) & 0xFF,
                         ((x + y) * 2 + (noise >> 6)) & 0xFF])
with open(sys.argv[1], "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes(pixels))
PY
cjpeg -rgb -quality 95 -outfile "$out/rgb.jpg" "$ppm"
echo "wrote $out/rgb.jpg"
