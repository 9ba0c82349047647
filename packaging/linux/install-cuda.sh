#!/bin/sh
# GANime Studio @VERSION@'s CUDA add-on: onnxruntime's CUDA provider (~285 MB), which lets the app
# colour on an NVIDIA GPU, and the float model files the GPU runs (the CPU runs their int8 versions,
# which come with the app). Installs into the per-user install that install.sh made
# (~/.local/lib/ganime-studio); the app finds it there at its next start.
#
#   ./install-cuda.sh             add it to your per-user install of the same version
#   ./install-cuda.sh --remove    take it out again (uninstall.sh of the app removes it as well)
#
# Or extract this archive into the same folder as ganime-studio-@VERSION@-linux-x86_64.tar.gz
# before running that one's install.sh: it then installs the app with CUDA in one go.
# For the Debian package, install ganime-studio-cuda_@VERSION@_amd64.deb instead.
# The GPU also needs NVIDIA's driver and the CUDA and cuDNN libraries (README-CUDA.txt).
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
version="@VERSION@"
app="$HOME/.local/lib/ganime-studio"
capi="$app/_internal/onnxruntime/capi"
files="@ADDON_FILES@"  # relative to the app folder
die() { printf 'install-cuda.sh: %s\n' "$*" >&2; exit 1; }

[ -f "$app/install-manifest.txt" ] && [ -x "$app/ganime" ] \
  || die "no per-user GANime Studio install in $app: run install.sh of ganime-studio-$version-linux-x86_64.tar.gz first"
installed=$("$app/ganime" --version 2>/dev/null || true)
[ "$installed" = "GANime Studio $version" ] \
  || die "this add-on is for GANime Studio $version, but $app is ${installed:-not working}; get the matching add-on"
[ -d "$capi" ] || die "$capi is missing: reinstall the app"

if [ "${1:-}" = "--remove" ]; then
  for f in $files; do rm -f "$app/$f"; done
  printf 'Removed the CUDA add-on from %s\n' "$app"
  exit 0
fi
[ $# -eq 0 ] || { printf 'usage: %s [--remove]\n' "$0" >&2; exit 2; }

for f in $files; do
  [ -f "$here/app/$f" ] || die "$f is missing from this folder: extract the whole archive"
  [ -d "$(dirname "$app/$f")" ] || die "$(dirname "$app/$f") is missing: reinstall the app"
done
for f in $files; do
  cp "$here/app/$f" "$app/$f.new"
  chmod 644 "$app/$f.new"
  mv "$app/$f.new" "$app/$f"
done
printf 'Installed the CUDA add-on into %s.\n' "$app"
printf 'GANime Studio uses the GPU when NVIDIA'"'"'s CUDA and cuDNN libraries are there too: see README-CUDA.txt;\n'
printf '"ganime --selftest" and the status bar say which device the models run on.\n'
