#!/usr/bin/env bash
# Build the one-folder app bundle dist/ganime/ with PyInstaller and check it.
#
# It builds from its own environment, .venv-build/, holding the app's dependencies and
# PyInstaller only: analysed from the dev .venv, PyInstaller would pull ~1 GB of TensorFlow in
# through onnxruntime.transformers (928 MB measured). The environment is created once and made anew when
# pyproject.toml changes. Then: pyinstaller build.spec, the bundle's size, and its --selftest.
#
# Usage: scripts/build_bundle.sh [selftest args...]   e.g. --models-dir DIR while assets/models is empty
# Then: scripts/package_linux.sh makes the .deb and per-user archives around it (docs/packaging.md).
# Env:   PYTHON               interpreter for the new environment (default python3); it needs a
#                             shared libpython (python.org, distro and pyenv --enable-shared builds)
#        GANIME_BUNDLE_CUDA=0 a CPU-only bundle, without onnxruntime's 284 MB CUDA provider
#        GANIME_SKIP_SELFTEST=1  stop after the build
# Exit:  0 built (and self-test passed), 3 the build environment could not be set up (no
#        package registry?), anything else: the build or the self-test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYINSTALLER_VERSION=6.22.3
python_bin="${PYTHON:-python3}"
venv=.venv-build

setup_failed() { echo "error: cannot set up $venv: $1" >&2; exit 3; }

stamp="$venv/.ganime-installed"  # what is installed: sha256 of pyproject.toml + PyInstaller version
want="$(sha256sum pyproject.toml | cut -d' ' -f1) pyinstaller==$PYINSTALLER_VERSION"
if [ -d "$venv" ] && [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  # Start clean: pip never removes a dependency pyproject dropped, and it would end up in the bundle.
  echo "pyproject.toml changed: recreating $venv"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  shared="$("$python_bin" -c 'import sysconfig; print(sysconfig.get_config_var("Py_ENABLE_SHARED") or 0)')" \
    || setup_failed "$python_bin does not run"
  [ "$shared" = "1" ] || setup_failed "$python_bin has no shared libpython, which PyInstaller needs; use another Python (PYTHON=...)"
  echo "Creating $venv with $("$python_bin" --version)"
  "$python_bin" -m venv "$venv" || setup_failed "python -m venv failed"
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "Installing the app's dependencies and pyinstaller==$PYINSTALLER_VERSION into $venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip || setup_failed "pip cannot reach the package registry"
  # ".": the app's runtime dependencies and its version metadata (the About box reads it).
  # No extras: TensorFlow, tf2onnx and onnx must not be in this environment.
  "$venv/bin/python" -m pip install --quiet . "pyinstaller==$PYINSTALLER_VERSION" \
    || setup_failed "pip install failed (see above)"
  for banned in tensorflow tensorflow-cpu keras tf2onnx torch; do
    if "$venv/bin/python" -m pip show --quiet "$banned" 2>/dev/null; then
      echo "error: $banned got into $venv; delete $venv and check pyproject's dependencies" >&2
      exit 1
    fi
  done
  echo "$want" > "$stamp"
fi

echo "Building dist/ganime/ with PyInstaller $PYINSTALLER_VERSION (warnings about CUDA, cuDNN and TensorRT"
echo "libraries not found are expected: the user's system provides them)"
start=$(date +%s)
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --workpath build/pyinstaller --distpath dist build.spec
echo "Build took $(( $(date +%s) - start )) s"
echo "Bundle size: $(du -sh dist/ganime | cut -f1)  (dist/ganime)"

if [ "${GANIME_SKIP_SELFTEST:-0}" != "1" ]; then
  echo "Self-test of the frozen app:"
  QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" dist/ganime/ganime --selftest "$@"
fi
