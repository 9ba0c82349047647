"""onnxruntime sessions, one per (model file, device), and the truth about which device runs them.

onnxruntime-gpu lists CUDAExecutionProvider even where CUDA cannot start (no GPU, no driver,
missing CUDA/cuDNN libraries); asking for it then logs an error and quietly runs on CPU. So the
active device is read back from ``session.get_providers()``, the error log of that attempt is
silenced, and a plain reason is kept for the GUI's status bar and the CLI.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

DEVICES = ("auto", "cuda", "cpu")
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
_DEFAULT_LOG_SEVERITY = 2  # onnxruntime's own default (warning); restored after a CUDA attempt


class ModelLoadError(RuntimeError):
    """A model file that onnxruntime cannot load; the message names the file and the fix."""


@dataclass(frozen=True)
class ProviderInfo:
    requested: str  # "auto" | "cuda" | "cpu"
    active: str  # "CUDA" | "CPU"
    reason: str | None  # why CUDA was not used, when it was asked for (or is impossible)

    def describe(self) -> str:
        """One line for a status bar: 'CPU (CUDA libraries not found ...)'."""
        return f"{self.active} ({self.reason})" if self.reason else self.active


def cuda_in_build() -> bool:
    return CUDA in ort.get_available_providers()


def _missing_library(path: str) -> str | None:
    """The loader's complaint when loading ``path``, or None when it loads."""
    try:
        ctypes.CDLL(path)
    except OSError as exc:
        # a frozen app's loader wraps the real complaint (the missing dependency) in __cause__
        return str(exc.__cause__ or exc)
    return None


def diagnose_cuda() -> str:
    """Why CUDA could not start here, in plain words (called only after it failed)."""
    if not cuda_in_build():
        return "this onnxruntime has no CUDA support (install onnxruntime-gpu); running on CPU"
    parts = []
    driver = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    if _missing_library(driver) is not None:
        parts.append(f"no NVIDIA GPU driver found ({driver})")
    provider_lib = Path(ort.__file__).parent / "capi" / (
        "onnxruntime_providers_cuda.dll" if sys.platform == "win32" else "libonnxruntime_providers_cuda.so")
    if not provider_lib.exists():
        return "this build has no CUDA support (a CPU-only bundle); running on CPU"
    complaint = _missing_library(str(provider_lib))
    if complaint is not None:
        missing = complaint.split(":")[0].strip() if ":" in complaint else complaint
        cuda_major = getattr(ort, "cuda_version", "") or "12+"
        parts.append(f"CUDA libraries not found ({missing}; onnxruntime {ort.__version__} needs CUDA "
                     f"{cuda_major.split('.')[0]} and cuDNN 9)")
    if not parts:
        parts.append("CUDA did not start (unsupported GPU or driver too old)")
    return "; ".join(parts) + "; running on CPU"


_preloaded = False


def _preload_cuda_wheels() -> None:
    """Let onnxruntime find CUDA/cuDNN installed as pip wheels (nvidia-*), once per process."""
    global _preloaded
    if _preloaded or not hasattr(ort, "preload_dlls") or importlib.util.find_spec("nvidia") is None:
        return
    _preloaded = True
    with contextlib.redirect_stdout(io.StringIO()):  # it prints each library it fails to find
        ort.preload_dlls()


def providers_for(device: str) -> list[str]:
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if device == "cpu" or (device == "auto" and not cuda_in_build()):
        return [CPU]
    return [CUDA, CPU]


def create_session(path: str | os.PathLike, device: str = "auto") -> tuple[ort.InferenceSession, ProviderInfo]:
    """A new session for ``path`` on ``device`` and what it really runs on; ModelLoadError if unloadable."""
    path = Path(path)
    providers = providers_for(device)
    if not path.is_file():
        raise ModelLoadError(f"{path}: the model file is missing — reinstall or re-export the model")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    wants_cuda = CUDA in providers
    if wants_cuda:
        _preload_cuda_wheels()
        ort.set_default_logger_severity(4)  # the failed CUDA attempt logs errors; we report it ourselves
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/... types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"{path}: onnxruntime cannot load this model ({first_line[:300]}); the file is "
                             "damaged or not an ONNX model — reinstall or re-export it") from None
    finally:
        if wants_cuda:
            ort.set_default_logger_severity(_DEFAULT_LOG_SEVERITY)
    active = "CUDA" if CUDA in session.get_providers() else "CPU"
    reason = None
    if active == "CPU" and device != "cpu":
        reason = diagnose_cuda()
    return session, ProviderInfo(requested=device, active=active, reason=reason)


class SessionCache:
    """Sessions shared per (model file, size, mtime, device): a re-exported file gets a new session."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int, int, str], tuple[ort.InferenceSession, ProviderInfo]] = {}
        self._lock = threading.Lock()

    def get(self, path: str | os.PathLike, device: str = "auto") -> tuple[ort.InferenceSession, ProviderInfo]:
        path = Path(path)
        try:
            st = path.stat()
        except OSError:
            raise ModelLoadError(f"{path}: the model file is missing — reinstall or re-export the model") from None
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns, device)
        with self._lock:  # one creation at a time: no two sessions for the same file
            if key not in self._sessions:
                self._sessions[key] = create_session(path, device)
            return self._sessions[key]

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()


_shared_cache = SessionCache()


def get_session(path: str | os.PathLike, device: str = "auto") -> tuple[ort.InferenceSession, ProviderInfo]:
    """The process-wide cached session for a model file on a device."""
    return _shared_cache.get(path, device)


def clear_sessions() -> None:
    _shared_cache.clear()
