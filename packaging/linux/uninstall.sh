#!/bin/sh
# Remove GANime Studio's per-user install: the app folder this script is in (CUDA add-on
# included) and what install.sh put outside it (the `ganime` link, the menu entry, the icons),
# as listed in install-manifest.txt, and the directories install.sh had to make.
#
#   ~/.local/lib/ganime-studio/uninstall.sh           keep your settings and own models
#   ~/.local/lib/ganime-studio/uninstall.sh --purge   also delete them (~/.local/share/ganime-studio)
set -eu

app=$(cd "$(dirname "$0")" && pwd -P)
manifest="$app/install-manifest.txt"
quiet=""
purge=""
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --purge) purge=1 ;;
    *) printf 'usage: %s [--purge]\n' "$0" >&2; exit 2 ;;
  esac
done
say() { [ -n "$quiet" ] || printf '%s\n' "$*"; }

[ -f "$manifest" ] && [ -x "$app/ganime" ] \
  || { printf 'uninstall.sh: %s is not a per-user GANime Studio install\n' "$app" >&2; exit 1; }
data="${XDG_DATA_HOME:-$HOME/.local/share}"
listing=$(cat "$manifest")  # read before the app folder, which holds it, goes

# Files first (the link only while it still points into this app), then the app folder.
printf '%s\n' "$listing" | grep -v -e '^#' -e '^dir ' -e '^$' | while IFS= read -r path; do
  case "$path" in
    */mimeinfo.cache) ;;  # rebuilt below, removed only if nothing else is in it
    */bin/ganime)
      if [ "$(readlink "$path" 2>/dev/null || true)" = "$app/ganime" ]; then rm -f "$path"; fi ;;
    *) rm -f "$path" ;;
  esac
done
rm -rf "$app"

if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$data/applications" ]; then
  update-desktop-database -q "$data/applications" 2>/dev/null || true
fi
mime_cache=$(printf '%s\n' "$listing" | grep -x -- '.*/mimeinfo.cache' || true)
if [ -n "$mime_cache" ] && [ -f "$mime_cache" ] && [ "$(grep -c -v -e '^\[MIME Cache\]' -e '^$' "$mime_cache")" = 0 ]; then
  rm -f "$mime_cache"  # made by install.sh and now empty
fi
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -f -t -q "$data/icons/hicolor" 2>/dev/null || true
fi
# Directories install.sh made, deepest first, while empty.
printf '%s\n' "$listing" | sed -n 's/^dir //p' | sort -r | while IFS= read -r dir; do
  rmdir "$dir" 2>/dev/null || true
done

if [ -n "$purge" ]; then
  rm -rf "$data/ganime-studio"
  say "Removed GANime Studio, your settings and your own models."
elif [ -d "$data/ganime-studio" ]; then
  say "Removed GANime Studio. Your settings and own models stay in $data/ganime-studio (--purge removes them)."
else
  say "Removed GANime Studio."
fi
