#!/usr/bin/env bash
# Linux packages around the bundle (dist/ganime/, built by scripts/build_bundle.sh), into
# dist/packages/ (docs/packaging.md):
#
#   ganime-studio_<v>_amd64.deb                    the app in /opt/ganime-studio, `ganime` on the PATH,
#                                                  menu entry + "Open with" for images, hicolor icons
#   ganime-studio-cuda_<v>_amd64.deb               the CUDA add-on: onnxruntime's CUDA provider, put
#                                                  beside the app's onnxruntime, and the float files of
#                                                  the models that run int8 on the CPU (depends on the above)
#   ganime-studio-<v>-linux-x86_64.tar.gz          per-user install under ~/.local: install.sh, uninstall.sh
#   ganime-studio-cuda-<v>-linux-x86_64.tar.gz     its CUDA add-on: install-cuda.sh, or extract it into
#                                                  the same folder before install.sh
#
# The CPU packages hold everything but the GPU provider libraries, which make ~285 MB of the
# bundle and only help with an NVIDIA GPU, and the float files of the generators that have an int8
# file (packaging/cuda_models.py lists them): the CPU runs the int8 file, so only CUDA needs them. <v> is pyproject.toml's version (one place:
# ganime_desktop/version.py reads it); the bundle's `ganime --version` must agree, else it is stale.
#
# Usage: scripts/package_linux.sh
# Env:   GANIME_BUNDLE_DIR     the bundle (default dist/ganime)
#        GANIME_PACKAGES_DIR   where the packages go (default dist/packages)
#        GANIME_DEB_COMPRESSION  dpkg-deb's compressor: zstd, xz, gzip or none. Default: zstd (3 s
#                              instead of xz's 7 min on 2 cores, 10 % larger) when the package needs
#                              glibc >= 2.35 anyway, since every dpkg on such systems (Debian 12+,
#                              Ubuntu 22.04+) reads zstd; else xz.
#        GANIME_MAINTAINER     the .deb's Maintainer field
# Needs: dpkg-deb (the dpkg package), tar, gzip; desktop-file-validate (desktop-file-utils) when
#        present checks the menu entry. scripts/setup_system.sh installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bundle="${GANIME_BUNDLE_DIR:-dist/ganime}"
out="${GANIME_PACKAGES_DIR:-dist/packages}"
compression="${GANIME_DEB_COMPRESSION:-}"
maintainer="${GANIME_MAINTAINER:-GANime Studio maintainers <maintainers@ganime-studio.invalid>}"
work=build/packaging
linux=packaging/linux
icons=assets/icons
app_dir=/opt/ganime-studio
capi=_internal/onnxruntime/capi
gpu_libs=(libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so)
icon_sizes=(16 24 32 48 64 128 256 512)

die() { echo "package_linux.sh: $*" >&2; exit 1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
bytes_of() { du -sb "$1" | cut -f1; }

command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (Debian/Ubuntu: it comes with dpkg)"
[ -x "$bundle/ganime" ] || die "no bundle at $bundle: build it first with scripts/build_bundle.sh"
version="$(python3 -c 'import sys; sys.path.insert(0, "."); from ganime_desktop.version import app_version; print(app_version())')"
[ -n "$version" ] && [ "$version" != unknown ] || die "cannot read the version from pyproject.toml"
bundle_version="$("$bundle/ganime" --version)" || die "$bundle/ganime --version failed: is the bundle broken?"
[ "$bundle_version" = "GANime Studio $version" ] \
  || die "the bundle says '$bundle_version' but pyproject.toml says $version: rebuild it (scripts/build_bundle.sh)"
# PEP 440 -> Debian: pre-releases and dev builds sort before the release (~), post-releases after (+).
deb_version="$(sed -E -e 's/\.?(a|b|rc)([0-9]+)/~\1\2/' -e 's/\.dev([0-9]+)/~dev\1/' -e 's/\.post([0-9]+)/+post\1/' <<< "$version")"

have_gpu=1
gpu_bytes=0
if [ -f "$bundle/$capi/${gpu_libs[0]}" ]; then
  for lib in "${gpu_libs[@]}"; do
    if [ -f "$bundle/$capi/$lib" ]; then gpu_bytes=$((gpu_bytes + $(stat -c %s "$bundle/$capi/$lib"))); fi
  done
  # What NVIDIA's side must provide, read from the provider itself (e.g. libcublas.so.13 -> CUDA 13).
  cuda_major="$(cat "$bundle/$capi/"libonnxruntime_providers_*.so | grep -aoE 'libcublas\.so\.[0-9]+' \
                | sort -u | sed 's/.*\.//' | tail -1 || true)"
  cudnn_major="$(cat "$bundle/$capi/"libonnxruntime_providers_*.so | grep -aoE 'libcudnn\.so\.[0-9]+' \
                 | sort -u | sed 's/.*\.//' | tail -1 || true)"
else
  have_gpu=0
  echo "note: $bundle has no CUDA provider (GANIME_BUNDLE_CUDA=0?): no CUDA add-on is made"
fi
# The float files of the generators that run int8 on the CPU go with the add-on; without an add-on
# they stay in the app (no package would carry them otherwise).
cuda_models=()
model_bytes=0
if [ "$have_gpu" = 1 ]; then
  listing="$(python3 packaging/cuda_models.py "$bundle")" || die "cannot list the CUDA-only model files"
  while IFS= read -r path; do
    [ -n "$path" ] || continue
    case "$path" in *[[:space:]]*) die "model file '$path': a path with spaces cannot go into the add-on's scripts" ;; esac
    cuda_models+=("$path")
    model_bytes=$((model_bytes + $(stat -c %s "$bundle/$path")))
  done <<< "$listing"
fi
# The add-on's files, relative to the app folder (for install.sh and install-cuda.sh).
addon_files=()
for lib in "${gpu_libs[@]}"; do
  if [ -f "$bundle/$capi/$lib" ]; then addon_files+=("$capi/$lib"); fi
done
addon_files+=("${cuda_models[@]}")

rm -rf "$work"
mkdir -p "$work" "$out"
rm -f "$out"/ganime-studio[_-]*"$version"* "$out"/ganime-studio[_-]*"$deb_version"*

# The app without the add-on's files, as hard links (no copy of ~340 MB; the bundle is untouched:
# the links are only ever removed, never written to).
cpu_tree() {  # cpu_tree TARGET
  mkdir -p "$(dirname "$1")"
  cp -al "$bundle" "$1"
  for lib in "${gpu_libs[@]}"; do rm -f "$1/$capi/$lib"; done
  for path in "${cuda_models[@]}"; do rm -f "$1/$path"; done
}
gpu_tree() {  # gpu_tree TARGET_APP_DIR: only the add-on's files, at their place in the app
  for path in "${addon_files[@]}"; do
    mkdir -p "$1/$(dirname "$path")"
    ln "$bundle/$path" "$1/$path"
  done
}
icons_into() {  # icons_into SHARE_DIR: the hicolor theme's sizes and the scalable SVG
  for size in "${icon_sizes[@]}"; do
    install -D -m 644 "$icons/ganime-studio-$size.png" "$1/icons/hicolor/${size}x${size}/apps/ganime-studio.png"
  done
  install -D -m 644 "$icons/ganime-studio.svg" "$1/icons/hicolor/scalable/apps/ganime-studio.svg"
}
validate_desktop() {  # validate_desktop FILE
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$1" || die "desktop-file-validate rejects $1"
  else
    echo "warning: desktop-file-validate not found (desktop-file-utils): $1 not validated" >&2
  fi
}
# The newest glibc symbol version any bundled library asks for: the .deb's libc6 dependency.
glibc_needed() {
  find "$bundle" -type f \( -name '*.so*' -o -name ganime \) -print0 \
    | xargs -0 grep -aohE 'GLIBC_2\.[0-9]+(\.[0-9]+)?' | sort -uV | sed -n '$s/GLIBC_//p'
}
depends() {
  local deps=("libc6 (>= $glibc)")
  while IFS= read -r line; do deps+=("$line"); done \
    < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$linux/deb-depends")
  local IFS=,
  sed 's/,/, /g' <<< "${deps[*]}"
}
build_deb() {  # build_deb ROOT FILE
  (cd "$1" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$1/DEBIAN/md5sums"
  dpkg-deb --root-owner-group "-Z$compression" --build "$1" "$2" >/dev/null
}

glibc="$(glibc_needed)"
if [ -z "$compression" ]; then
  if [ "$(printf '%s\n' 2.35 "$glibc" | sort -V | sed -n 1p)" = 2.35 ]; then compression=zstd; else compression=xz; fi
fi
echo "Packaging GANime Studio $version from $bundle (glibc >= $glibc; .deb compression $compression)"
start=$(date +%s)

# --- ganime-studio_<v>_amd64.deb --------------------------------------------------------------
root="$work/deb-app"
cpu_tree "$root$app_dir"
mkdir -p "$root/usr/bin" "$root/usr/share/applications" "$root/usr/share/doc/ganime-studio" "$root/DEBIAN"
ln -s "$app_dir/ganime" "$root/usr/bin/ganime"
sed -e "s|@EXEC@|$app_dir/ganime|" -e "s|@TRYEXEC@|$app_dir/ganime|" "$linux/ganime-studio.desktop.in" \
  > "$root/usr/share/applications/ganime-studio.desktop"
validate_desktop "$root/usr/share/applications/ganime-studio.desktop"
icons_into "$root/usr/share"
install -m 644 "$linux/copyright" "$root/usr/share/doc/ganime-studio/copyright"
cpu_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: ganime-studio
Version: $deb_version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $cpu_kib
Depends: $(depends)
Suggests: ganime-studio-cuda (= $deb_version)
Section: graphics
Priority: optional
Description: colour manga and anime line art with neural networks
 GANime Studio opens line art (PNG, JPEG, WebP, TIFF, ...), colours it with
 several neural-network models side by side, takes colour hints, and colours
 whole chapter folders in one go (ganime colorize). The models run on the CPU;
 install ganime-studio-cuda as well to run them on an NVIDIA GPU.
EOF
app_deb="$out/ganime-studio_${deb_version}_amd64.deb"
build_deb "$root" "$app_deb"

# --- ganime-studio-cuda_<v>_amd64.deb ---------------------------------------------------------
if [ "$have_gpu" = 1 ]; then
  root="$work/deb-cuda"
  gpu_tree "$root$app_dir"
  mkdir -p "$root/usr/share/doc/ganime-studio-cuda" "$root/DEBIAN"
  install -m 644 "$linux/copyright" "$root/usr/share/doc/ganime-studio-cuda/copyright"
  cat > "$root/DEBIAN/control" <<EOF
Package: ganime-studio-cuda
Version: $deb_version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: ganime-studio (= $deb_version)
Section: graphics
Priority: optional
Description: NVIDIA GPU (CUDA) support for GANime Studio
 onnxruntime's CUDA execution provider for GANime Studio, installed beside the
 app's onnxruntime in $app_dir, and the float versions of the models that
 run int8 on the CPU. With it, NVIDIA's driver and NVIDIA's CUDA ${cuda_major:-?}
 and cuDNN ${cudnn_major:-?} libraries, the app colours on the GPU; without them
 it keeps colouring on the CPU and says why.
EOF
  cuda_deb="$out/ganime-studio-cuda_${deb_version}_amd64.deb"
  build_deb "$root" "$cuda_deb"
fi

# --- per-user archives ------------------------------------------------------------------------
top="ganime-studio-$version-linux-x86_64"  # the same top folder in both: extracted together, they merge
tar_it() {  # tar_it STAGE ARCHIVE
  local gz=gzip
  command -v pigz >/dev/null && gz=pigz
  tar -C "$1" --owner=0 --group=0 --numeric-owner --sort=name -cf - "$top" | "$gz" -6 > "$2"
}
fill() {  # fill SRC DEST: an installer script with its version and the add-on's files
  sed -e "s|@VERSION@|$version|g" -e "s|@ADDON_FILES@|${addon_files[*]}|g" "$1" > "$2"
  chmod 755 "$2"
}
stage="$work/tar-app/$top"
cpu_tree "$stage/app"
mkdir -p "$stage/share/applications"
install -m 644 "$linux/ganime-studio.desktop.in" "$stage/share/applications/ganime-studio.desktop.in"
icons_into "$stage/share"
fill "$linux/install.sh" "$stage/install.sh"
fill "$linux/uninstall.sh" "$stage/uninstall.sh"
sed "s|@VERSION@|$version|g" "$linux/README.txt" > "$stage/README.txt"
# The entry install.sh will write, checked here, with a path that needs quoting.
sed -e 's|@EXEC@|"/home/an artist/.local/lib/ganime-studio/ganime"|' \
    -e 's|@TRYEXEC@|/home/an artist/.local/lib/ganime-studio/ganime|' \
    "$linux/ganime-studio.desktop.in" > "$work/user-entry.desktop"
validate_desktop "$work/user-entry.desktop"
app_tar="$out/$top.tar.gz"
tar_it "$work/tar-app" "$app_tar"

if [ "$have_gpu" = 1 ]; then
  stage="$work/tar-cuda/$top"
  gpu_tree "$stage/app"
  fill "$linux/install-cuda.sh" "$stage/install-cuda.sh"
  sed -e "s|@VERSION@|$version|g" -e "s|@CUDA@|${cuda_major:-?}|g" -e "s|@CUDNN@|${cudnn_major:-?}|g" \
    "$linux/README-CUDA.txt" > "$stage/README-CUDA.txt"
  cuda_tar="$out/ganime-studio-cuda-$version-linux-x86_64.tar.gz"
  tar_it "$work/tar-cuda" "$cuda_tar"
fi

rm -rf "$work"
echo "Done in $(( $(date +%s) - start )) s:"
for file in "$app_deb" "${cuda_deb:-}" "$app_tar" "${cuda_tar:-}"; do
  if [ -n "$file" ]; then printf '  %-58s %s\n' "$file" "$(mb "$(bytes_of "$file")")"; fi
done
echo "Installed: the app $(mb $((cpu_kib * 1024))) (CPU; the bundle without the add-on's files), the CUDA add-on" \
     "$(mb $((gpu_bytes + model_bytes))) (GPU providers $(mb "$gpu_bytes"), ${#cuda_models[@]} float model files $(mb "$model_bytes"))"
