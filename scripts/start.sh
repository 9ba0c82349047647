#!/usr/bin/env bash
# Set up .venv (the app's dependencies only, unless more are installed already) and open
# GANime Studio on the shipped models and the sample sketch. Extra arguments go to `ganime`,
# e.g. scripts/start.sh --screenshot shot.png, or scripts/start.sh colorize IN OUT --model NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ""
exec .venv/bin/ganime "$@"
