#!/usr/bin/env bash
# Create (once) and refresh (when pyproject.toml changes) the project's .venv.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh train,export,dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-train,export,dev}"
python_bin="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi
stamp=".venv/.ganime-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) [$extras]"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing GANime Studio with extras [$extras] into .venv (first run downloads ~700 MB)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  echo "$want" > "$stamp"
fi
