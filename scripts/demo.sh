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
echo "demo: no display here, so the spirals demo is rendered to $out/ instead of a window (about a minute)"
render() { .venv/bin/viz3d render spirals "$@" >/dev/null; }
render --layer 0 --out "$out/spirals-1-input.png"
render --steps 60 --out "$out/spirals-2-first-tanh-early.png"
render --out "$out/spirals-3-first-tanh-trained.png"
render --layer -2 --out "$out/spirals-4-last-hidden-trained.png"
.venv/bin/viz3d render disks-2d --layer 0 --out "$out/disks-2d-input-regions.png" >/dev/null
echo "demo: wrote these pictures:"
ls -1 "$out"/*.png
