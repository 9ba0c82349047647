"""onnxruntime sessions, one per (model file, device), and the truth about which device runs them.

onnxruntime-gpu lists CUDAExecutionProvider even where CUDA cannot start (no GPU, no driver,
missing CUDA/cuDNN libraries); asking for it then logs an error and quietly runs on CPU. So the
active device is read back from ``session.get_providers()``, the error log of that attempt is
silenced, and a plain reason is kept for the GUI's status bar and the CLI.

Which file of a generator runs (``generator_session``): on CUDA its float model (``generator``,
fp32 or float16 storage); on the CPU its int8 model (``generator_int8``) when the manifest has
one, else the float model. Whether CUDA really starts is probed once per process with a tiny
built-in model (``cuda_starts``), so a CPU-only machine never loads the float model for nothing;
the real session's providers stay the truth that is reported. Only files that are there count:
the float file of a generator with an int8 file comes with the CUDA add-on (docs/packaging.md), and
the registry leaves a damaged file out of the entry's spec (core/registry.py). Without its float
file such a generator runs int8 on the CPU on any device, and the reason says so.

Session settings (``session_options``), measured with ``benchmarks/infer.py --settings`` on the
2-core development machine (docs/performance.md, 384 px): all graph optimisations (an int8 model
needs them to fuse its quantize/dequantize pairs into QLinearConv: 41 ms vs 158 ms at the basic
level; a float one gains the NCHWc layout and Conv+activation fusions: 115-144 vs 150-158 ms),
onnxruntime's default thread count (one per core; 1 or 4 threads were no better), the memory arena
on (no difference beyond the noise; a colouring at a steady size then allocates nothing), and no
spin-waiting between runs (a spinning pool took 73 ms instead of 41 for int8 while other threads
wanted the cores, as the batch runner's reader and writer do).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import io
import os
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import onnxruntime as ort

from . import cuda_addon
from .errors import GanimeError
from .manifest import CPU_INT8_ROLE, ModelSpec

DEVICES = ("auto", "cuda", "cpu")
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
_DEFAULT_LOG_SEVERITY = 2  # onnxruntime's own default (warning); restored after a CUDA attempt


class ModelLoadError(GanimeError, RuntimeError):
    """A model file that onnxruntime cannot load; the message names the file and the fix."""


@dataclass(frozen=True)
class ProviderInfo:
    requested: str  # "auto" | "cuda" | "cpu"
    active: str  # "CUDA" | "CPU"
    reason: str | None  # why CUDA was not used, when it was asked for (or is impossible)
    precision: str | None = None  # the generator file that runs: "int8" on the CPU when it has one
    model_file: str | None = None  # the name of the generator file that runs

    def describe(self) -> str:
        """One line for a status bar: 'CPU, int8 (CUDA libraries not found ...)'."""
        device = f"{self.active}, {self.precision}" if self.precision == "int8" else self.active
        return f"{device} ({self.reason})" if self.reason else device


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


def _provider_library() -> Path:
    return Path(ort.__file__).parent / "capi" / (
        "onnxruntime_providers_cuda.dll" if sys.platform == "win32" else "libonnxruntime_providers_cuda.so")


def _no_provider(kind: str) -> str:
    """Why CUDA cannot start when onnxruntime's CUDA provider library is absent, and the fix."""
    if kind == "python":
        return (f"onnxruntime's CUDA provider ({_provider_library().name}) is missing: reinstall onnxruntime-gpu "
                "in the app's Python environment")
    return f"the CUDA add-on is not installed: to use an NVIDIA GPU, {cuda_addon.how_to_get_cuda(kind)}"


def diagnose_cuda(provider_lib: Path | None = None, kind: str | None = None) -> str:
    """Why CUDA could not start here, in plain words (called only after it failed).
    ``provider_lib`` (the CUDA provider library) and ``kind`` (``cuda_addon.install_kind``) are
    this app's own unless given."""
    if not cuda_in_build():
        return "this onnxruntime has no CUDA support (install onnxruntime-gpu); running on CPU"
    parts = []
    driver = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    if _missing_library(driver) is not None:
        parts.append(f"no NVIDIA GPU driver found ({driver})")
    provider_lib = provider_lib or _provider_library()
    if not provider_lib.exists():  # the CPU package: the provider comes with the CUDA add-on
        parts.append(_no_provider(kind or cuda_addon.install_kind()))
        return "; ".join(parts) + "; running on CPU"
    complaint = _missing_library(str(provider_lib))
    if complaint is not None:
        missing = complaint.split(":")[0].strip() if ":" in complaint else complaint
        cuda_major = getattr(ort, "cuda_version", "") or "12+"
        parts.append(f"CUDA libraries not found ({missing}; onnxruntime {ort.__version__} needs CUDA "
                     f"{cuda_major.split('.')[0]} and cuDNN 9)")
    if not parts:
        parts.append("CUDA did not start (unsupported GPU or driver too old)")
    return "; ".join(parts) + "; running on CPU"


def no_gpu_file_reason(spec: ModelSpec, kind: str | None = None) -> str:
    """Why a generator runs on the CPU although CUDA starts: its float file is not there (or is
    damaged), and how to get it."""
    kind = kind or cuda_addon.install_kind()
    if kind == "python":
        return (f"{spec.display_name} has no usable GPU model file here, so it runs with its int8 model; to run "
                "it on CUDA, re-export the model; running on CPU")
    return (f"{spec.display_name} has no usable GPU model file here (the CUDA add-on brings it), so it runs with "
            f"its int8 model; to get the file, {cuda_addon.how_to_get_cuda(kind)}; running on CPU")


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


def session_options(*, spinning: bool = False) -> ort.SessionOptions:
    """The settings every session gets (measured: see the module docstring)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = True
    options.enable_mem_pattern = True
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return options


def create_session(path: str | os.PathLike, device: str = "auto") -> tuple[ort.InferenceSession, ProviderInfo]:
    """A new session for ``path`` on ``device`` and what it really runs on; ModelLoadError if unloadable."""
    path = Path(path)
    providers = providers_for(device)
    if not path.is_file():
        raise ModelLoadError(f"{path}: the model file is missing — reinstall or re-export the model")
    options = session_options()
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


# A one-node model (Relu of a float[1]), serialized: enough to make onnxruntime load its CUDA
# provider, without the onnx package (not in the app) and without reading any model file.
_PROBE_MODEL = (b'\x08\x07\x12\x00:3\n\x0c\n\x01x\x12\x01y"\x04Relu\x12\x01pZ\x0f\n\x01x\x12\n\n\x08\x08\x01'
                b'\x12\x04\n\x02\x08\x01b\x0f\n\x01y\x12\n\n\x08\x08\x01\x12\x04\n\x02\x08\x01B\x04\n\x00\x10\r')
_cuda_probe: bool | None = None
_probe_lock = threading.Lock()


def cuda_starts() -> bool:
    """Does CUDA really start in this process? Probed once with a tiny model, then remembered."""
    global _cuda_probe
    with _probe_lock:
        if _cuda_probe is None:
            if not cuda_in_build():
                _cuda_probe = False
            else:
                _preload_cuda_wheels()
                options = ort.SessionOptions()
                options.log_severity_level = 3
                ort.set_default_logger_severity(4)
                try:
                    probe = ort.InferenceSession(_PROBE_MODEL, sess_options=options, providers=[CUDA, CPU])
                    _cuda_probe = CUDA in probe.get_providers()
                except Exception:  # a broken CUDA install may raise instead of falling back
                    _cuda_probe = False
                finally:
                    ort.set_default_logger_severity(_DEFAULT_LOG_SEVERITY)
        return _cuda_probe


def _usable(spec: ModelSpec, role: str) -> bool:
    return role in spec.files and spec.file_path(role).is_file()


def generator_file(spec: ModelSpec, device: str) -> tuple[Path, str]:
    """(file, precision) a generator runs on ``device``: the int8 file on the CPU when it has one,
    the float model otherwise (always on CUDA); the int8 file on any device when the float file is
    not there. Files the spec does not list (the registry leaves damaged ones out) or that are not
    on disk are not candidates."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if _usable(spec, CPU_INT8_ROLE) and (device == "cpu" or not _usable(spec, "generator") or not cuda_starts()):
        return spec.file_path(CPU_INT8_ROLE), "int8"
    if "generator" in spec.files or CPU_INT8_ROLE not in spec.files:
        return spec.file_path("generator"), spec.precision  # when missing, its session says so
    return spec.file_path(CPU_INT8_ROLE), "int8"


def generator_session(spec: ModelSpec, device: str = "auto", cache: SessionCache | None = None,
                      ) -> tuple[ort.InferenceSession, ProviderInfo]:
    """The cached session of a generator on ``device`` (``generator_file`` picks the file), and
    what it really runs on, with which precision and file, and why not on CUDA."""
    cache = cache or _shared_cache
    path, precision = generator_file(spec, device)
    if precision == "int8":
        session, info = cache.get(path, "cpu")
        if device == "cpu":
            reason = None
        elif not _usable(spec, "generator") and cuda_starts():
            reason = no_gpu_file_reason(spec)
        else:
            reason = diagnose_cuda()
        return session, ProviderInfo(device, "CPU", reason, "int8", path.name)
    session, info = cache.get(path, device)
    if info.active == "CPU" and _usable(spec, CPU_INT8_ROLE):  # CUDA started for the probe, not for this model
        int8 = spec.file_path(CPU_INT8_ROLE)
        session, _ = cache.get(int8, "cpu")
        return session, replace(info, precision="int8", model_file=int8.name)
    return session, replace(info, precision=precision, model_file=path.name)
