#!/bin/sh
# GANime Studio @VERSION@ for Linux x86-64: install it for you alone, under ~/.local, without root.
#
#   ./install.sh          install, or upgrade an earlier per-user install
#
# What goes where (XDG_DATA_HOME, when set, replaces ~/.local/share):
#   ~/.local/lib/ganime-studio/            the app, and uninstall.sh to remove it all again
#   ~/.local/bin/ganime                    the `ganime` command (a link into the app)
#   ~/.local/share/applications/ganime-studio.desktop   the menu entry, and "Open with" for
#                                          PNG, JPEG, WebP and TIFF images
#   ~/.local/share/icons/hicolor/*/apps/ganime-studio.{png,svg}   the icon
# Your settings and own models live in ~/.local/share/ganime-studio; installing never touches them.
#
# The CUDA add-on (ganime-studio-cuda-@VERSION@-linux-x86_64.tar.gz): extract it into the same
# folder as this archive before running install.sh, or run its install-cuda.sh afterwards.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
version="@VERSION@"
lib="$HOME/.local/lib"
bin="$HOME/.local/bin"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
app="$lib/ganime-studio"
manifest_name="install-manifest.txt"  # in $app: what this install put outside $app, for uninstall.sh

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || die "this build is for Linux on x86-64"
[ -x "$here/app/ganime" ] || die "$here/app/ganime is missing: extract the whole archive and run install.sh from it"
case "$app" in
  *[\"\`\$\\%]*) die "cannot install into $app: the path has one of \" \` \$ \\ %, which menu entries cannot hold" ;;
esac

# Directories this install creates, so that uninstall.sh removes them again (and only them).
created=""
make_dir() {  # make_dir DIR: mkdir -p, noting each directory that did not exist
  missing=""
  d=$1
  while [ ! -d "$d" ]; do
    missing="$d
$missing"
    d=$(dirname "$d")
  done
  mkdir -p "$1"
  created="$missing$created"
}

# An earlier install: remove it first (its uninstaller knows what it put where); keep its CUDA
# add-on when this package has none and the versions match.
addon_files="@ADDON_FILES@"  # the CUDA add-on's files, relative to the app folder
old_cuda=""
if [ -f "$app/$manifest_name" ] && [ -x "$app/uninstall.sh" ]; then
  say "Removing the earlier install in $app"
  if [ -f "$app/_internal/onnxruntime/capi/libonnxruntime_providers_cuda.so" ] \
     && [ ! -f "$here/app/_internal/onnxruntime/capi/libonnxruntime_providers_cuda.so" ]; then
    old_cuda=$("$app/ganime" --version 2>/dev/null || true)
  fi
  if [ -n "$old_cuda" ] && [ "$old_cuda" = "GANime Studio $version" ]; then
    cuda_keep="$(mktemp -d)"
    for f in $addon_files; do
      if [ -f "$app/$f" ]; then mkdir -p "$cuda_keep/$(dirname "$f")" && cp -p "$app/$f" "$cuda_keep/$f"; fi
    done
  elif [ -n "$old_cuda" ]; then
    say "Note: the CUDA add-on of the earlier version is removed too; install the one for $version"
  fi
  "$app/uninstall.sh" --quiet
elif [ -e "$app" ]; then
  die "$app exists but is not a GANime Studio install; move it away first"
fi

make_dir "$lib"
app="$(cd "$lib" && pwd -P)/ganime-studio"  # the physical path: uninstall.sh compares links with it
say "Installing GANime Studio $version into $app"
rm -rf "$app.new"
cp -R "$here/app" "$app.new"
mv "$app.new" "$app"
if [ -n "${cuda_keep:-}" ]; then
  for f in $addon_files; do
    if [ -f "$cuda_keep/$f" ] && [ ! -e "$app/$f" ]; then cp -p "$cuda_keep/$f" "$app/$f"; fi
  done
  rm -rf "$cuda_keep"
  say "Kept the CUDA add-on"
fi
cp "$here/uninstall.sh" "$app/uninstall.sh"
chmod 755 "$app/uninstall.sh" "$app/ganime"

files=""
put() {  # put SOURCE TARGET [MODE]: copy a file outside $app and note it
  make_dir "$(dirname "$2")"
  cp "$1" "$2"
  chmod "${3:-644}" "$2"
  files="$files$2
"
}

make_dir "$bin"
ln -sfn "$app/ganime" "$bin/ganime"
files="$files$bin/ganime
"

entry="$data/applications/ganime-studio.desktop"
make_dir "$data/applications"
sed -e "s|@EXEC@|\"$app/ganime\"|" -e "s|@TRYEXEC@|$app/ganime|" \
  "$here/share/applications/ganime-studio.desktop.in" > "$entry"
chmod 644 "$entry"
files="$files$entry
"

for png in "$here"/share/icons/hicolor/*/apps/ganime-studio.png "$here"/share/icons/hicolor/scalable/apps/ganime-studio.svg; do
  size_dir=$(basename "$(dirname "$(dirname "$png")")")
  put "$png" "$data/icons/hicolor/$size_dir/apps/$(basename "$png")"
done

# Desktop caches, when their tools are there: the MIME type -> app table and GTK's icon cache.
mime_cache="$data/applications/mimeinfo.cache"
[ -e "$mime_cache" ] || new_mime_cache=1
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$data/applications" 2>/dev/null || true
fi
[ -n "${new_mime_cache:-}" ] && [ -e "$mime_cache" ] && files="$files$mime_cache
"
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -f -t -q "$data/icons/hicolor" 2>/dev/null || true
fi

{
  printf '# GANime Studio %s, per-user install: files and (dir) directories made outside %s\n' "$version" "$app"
  printf '%s' "$files"
  printf '%s' "$created" | sed -e '/^$/d' -e 's/^/dir /'
} > "$app/$manifest_name"

installed=$("$app/ganime" --version 2>&1) || die "the installed app does not start: $installed"
say "Installed $installed."
say "Start it from your applications menu, or run: ganime   (check it: ganime --selftest)"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) say "Note: $bin is not on your PATH; run $bin/ganime, or add it to PATH in ~/.profile" ;;
esac
if [ ! -f "$app/_internal/onnxruntime/capi/libonnxruntime_providers_cuda.so" ] \
   && { [ -e /proc/driver/nvidia/version ] || command -v nvidia-smi >/dev/null 2>&1; }; then
  say "This machine has an NVIDIA GPU: for CUDA, also install ganime-studio-cuda-$version-linux-x86_64.tar.gz"
fi
say "To remove it: $app/uninstall.sh"
