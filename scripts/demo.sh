#!/usr/bin/env bash
# Sets everything up, then shows the spirals demo: a live window where there is a display, and
# rendered PNGs (printed paths) where there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec .venv/bin/viz3d run spirals
fi

out="out/demo-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
echo "demo: no display here, so the spirals demo is rendered to $out/ instead of a window"
.venv/bin/viz3d render spirals --layer -2 --steps 0 --out "$out/spirals-0-untrained.png"
.venv/bin/viz3d render spirals --layer 0 --out "$out/spirals-1-input.png"
.venv/bin/viz3d render spirals --layer 4 --out "$out/spirals-2-middle.png"
.venv/bin/viz3d render spirals --layer -2 --out "$out/spirals-3-last-hidden.png"
echo "demo: wrote these pictures:"
ls -1 "$out"/*.png
