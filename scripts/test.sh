#!/usr/bin/env bash
# Set up .venv and run every check: ruff, then the whole pytest suite (GUI tests offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh train,export,dev
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
