#!/usr/bin/env bash
# Create (once) and refresh (when pyproject.toml changes or more extras are wanted) the repo's .venv.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh train,export,dev   ("" = the app only)
set -euo pipefail
cd "$(dirname "$0")/.."
want_extras="${1-train,export,dev}"
python_bin="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi
stamp=".venv/.ganime-installed"   # line 1: sha256 of pyproject.toml, line 2: extras, line 3: this checkout
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
have_hash="$(sed -n 1p "$stamp" 2>/dev/null || true)"
have_extras="$(sed -n 2p "$stamp" 2>/dev/null || true)"
# The install is editable: a .venv last installed from another checkout imports that one's code.
[ "$(sed -n 3p "$stamp" 2>/dev/null || true)" = "$PWD" ] || have_hash=""
[ "$have_hash" = "$hash" ] || have_extras=""
missing=""
for e in ${want_extras//,/ }; do
  case ",$have_extras," in *",$e,"*) ;; *) missing="$missing $e" ;; esac
done
if [ "$have_hash" != "$hash" ] || [ -n "$missing" ]; then
  all="$(echo "$have_extras,$want_extras" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
  echo "Installing GANime Studio${all:+ with [$all]} into .venv (the first time downloads a lot)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${all:+[$all]}"
  printf '%s\n%s\n%s\n' "$hash" "$all" "$PWD" > "$stamp"
fi
