"""The CUDA add-on: is onnxruntime's CUDA provider installed beside the app, and would an NVIDIA GPU
here use it?

The installers ship onnxruntime-gpu's CUDA provider (~285 MB, most of the bundle) as an optional
second part (docs/packaging.md): the ``ganime-studio-cuda`` .deb, the CUDA archive of the per-user
install, or the Windows add-on installer. Each puts the provider library beside onnxruntime's own
library, where onnxruntime looks for it. When an NVIDIA GPU is present and the provider is not,
the status bar and the About box say how to get it (``cuda_hint``).

Only file checks: no onnxruntime import, no driver call, no subprocess, so the window can ask at
start. Qt-free.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from ..version import app_version

WINDOWS = sys.platform == "win32"
PROVIDER_LIBRARY = "onnxruntime_providers_cuda.dll" if WINDOWS else "libonnxruntime_providers_cuda.so"
DEB_APP_DIR = Path("/opt/ganime-studio")  # where the .deb installs the app (scripts/package_linux.sh)
USER_INSTALL_MARKER = "uninstall.sh"  # the per-user install (install.sh) leaves its uninstaller in the app folder


def onnxruntime_capi_dir() -> Path | None:
    """The folder of onnxruntime's native library, where it loads provider libraries from."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "onnxruntime" / "capi"
    spec = importlib.util.find_spec("onnxruntime")  # finds it without importing it
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "capi"


def cuda_provider_installed(capi_dir: Path | None = None) -> bool:
    folder = capi_dir if capi_dir is not None else onnxruntime_capi_dir()
    return folder is not None and (folder / PROVIDER_LIBRARY).is_file()


def nvidia_gpu_present() -> bool:
    """An NVIDIA driver is installed, so there is an NVIDIA GPU to use: the kernel driver's /proc
    entry (Linux), the driver's CUDA library (Windows), or nvidia-smi, which comes with the driver."""
    if sys.platform.startswith("linux") and Path("/proc/driver/nvidia/version").exists():
        return True
    if WINDOWS:
        system32 = Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32"
        if (system32 / "nvcuda.dll").exists() or (system32 / "nvidia-smi.exe").exists():
            return True
    return shutil.which("nvidia-smi") is not None


def install_kind() -> str:
    """How this app was installed: "deb", "user-archive", "windows", "bundle" (an unpacked
    dist/ganime folder) or "python" (run from source or pip)."""
    if not getattr(sys, "frozen", False):
        return "python"
    if WINDOWS:
        return "windows"
    app_dir = Path(sys.executable).resolve().parent
    if app_dir == DEB_APP_DIR:
        return "deb"
    if (app_dir / USER_INSTALL_MARKER).is_file():
        return "user-archive"
    return "bundle"


def how_to_get_cuda(kind: str | None = None, version: str | None = None) -> str:
    """One sentence: what to install so that this app can run on CUDA."""
    kind = kind or install_kind()
    v = version or app_version()
    if kind == "deb":
        return (f"install the CUDA add-on package ganime-studio-cuda_{v}_amd64.deb from the same download page "
                f"(sudo apt install ./ganime-studio-cuda_{v}_amd64.deb)")
    if kind == "user-archive":
        return (f"download ganime-studio-cuda-{v}-linux-x86_64.tar.gz from the same page, extract it and run "
                "its install-cuda.sh")
    if kind == "windows":
        return f"run the CUDA add-on installer, GANime-Studio-CUDA-{v}-setup.exe, from the same download page"
    if kind == "bundle":
        return (f"extract ganime-studio-cuda-{v}-linux-x86_64.tar.gz and copy its app/_internal folder over "
                "this app's _internal folder")
    return "install onnxruntime-gpu instead of onnxruntime in the app's Python environment"


def cuda_hint(gpu: bool | None = None, provider: bool | None = None, kind: str | None = None,
              libraries: str = "CUDA and cuDNN") -> str | None:
    """Why this machine could colour faster and how, or None: an NVIDIA GPU is present but the CUDA
    provider is not installed. NVIDIA's CUDA and cuDNN libraries are needed as well (the About box
    and the status bar say which when CUDA fails to start): ``libraries`` names them."""
    gpu = nvidia_gpu_present() if gpu is None else gpu
    provider = cuda_provider_installed() if provider is None else provider
    if not gpu or provider:
        return None
    return (f"An NVIDIA GPU is present, but this GANime Studio has no CUDA support installed, so it colours "
            f"on the CPU. To use the GPU, {how_to_get_cuda(kind)}; the GPU also needs NVIDIA's {libraries} "
            "libraries (README: Using an NVIDIA GPU).")
