#!/usr/bin/env bash
# Sets everything up (with the dev tools), then lints and runs the whole test suite headless.
# Extra arguments go to pytest, e.g. scripts/test.sh -k morph
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check viz3d tests scripts
exec .venv/bin/python -m pytest -q "$@"
