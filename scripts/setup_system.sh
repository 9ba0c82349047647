#!/usr/bin/env bash
# Install the Debian packages that packaging and its tests need, when some are missing: nsis
# (makensis compiles the Windows installer script), desktop-file-utils (desktop-file-validate),
# xvfb + xauth (the installed app opens a real X11 window under xvfb-run), and the runtime
# libraries the .deb declares (packaging/linux/deb-depends), so that `dpkg -i`
# of the built package works here. Idempotent: when everything is installed it only checks.
#
# Needs root or passwordless sudo and apt-get. Without apt-get (not Debian/Ubuntu) it says so and
# exits 0: the packaging tests then skip with the reason. Exit 1: apt-get failed.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=(nsis desktop-file-utils xvfb xauth)
while read -r name _; do
  wanted+=("$name")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' packaging/linux/deb-depends)

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup_system: no apt-get/dpkg on this machine: not installing ${wanted[*]}" \
       "(the Debian packaging tests skip)"
  exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup_system: all ${#wanted[@]} packaging packages are installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "setup_system: not root and no passwordless sudo; install them yourself:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup_system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || echo "setup_system: apt-get update failed; trying the cached lists" >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup_system: installed ${missing[*]}"
