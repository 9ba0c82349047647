#!/usr/bin/env bash
# Set up .venv (and the system packages packaging needs) and run every check: ruff, the layer
# contracts (import-linter, pyproject.toml), then the whole pytest suite (GUI tests offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh train,export,dev
# Debian packages the packaging tests use (nsis, desktop-file-utils, the .deb's runtime libraries);
# quick when they are there. If it fails, those tests say what is missing.
scripts/setup_system.sh || echo "warning: scripts/setup_system.sh failed; the packaging tests will say what is missing" >&2
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest -q "$@"
