"""core.sessions: the provider chain for real on this machine (onnxruntime-gpu installed; CUDA may
or may not start), the reason when CUDA is not obtained, damaged model files, and which file of a
generator runs where (int8 on the CPU, the float model on CUDA)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnxruntime as ort
import pytest
from _onnx_models import make_generator_onnx

from ganime_desktop.core.sessions import (
    CUDA,
    ModelLoadError,
    ProviderInfo,
    SessionCache,
    create_session,
    cuda_starts,
    generator_file,
    generator_session,
    providers_for,
)


@pytest.fixture
def model(tmp_path):
    return make_generator_onnx(tmp_path / "g.onnx")


def _cuda_really_starts(path) -> bool:
    """Ground truth, independent of our module: does onnxruntime actually run this file on CUDA?"""
    if CUDA not in ort.get_available_providers():
        return False
    ort.set_default_logger_severity(4)
    try:
        session = ort.InferenceSession(str(path), providers=[CUDA, "CPUExecutionProvider"])
    finally:
        ort.set_default_logger_severity(2)
    return CUDA in session.get_providers()


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_cuda_request_reports_what_really_runs(model, device, capfd):
    session, info = create_session(model, device)
    assert info.requested == device
    assert info.active == ("CUDA" if CUDA in session.get_providers() else "CPU")
    if _cuda_really_starts(model):
        assert info.active == "CUDA" and info.reason is None
    else:  # this CPU machine: onnxruntime-gpu falls back, and we say why in words
        assert info.active == "CPU"
        assert info.reason and info.reason.endswith("running on CPU")
        assert info.describe() == f"CPU ({info.reason})"
    # onnxruntime's own error lines for the failed CUDA attempt are silenced.
    assert "[E:onnxruntime" not in capfd.readouterr().err


def test_cpu_is_cpu_without_a_reason(model):
    session, info = create_session(model, "cpu")
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert info == ProviderInfo("cpu", "CPU", None)


def test_provider_chain():
    assert providers_for("cpu") == ["CPUExecutionProvider"]
    assert providers_for("cuda") == [CUDA, "CPUExecutionProvider"]
    expected_auto = [CUDA, "CPUExecutionProvider"] if CUDA in ort.get_available_providers() else [
        "CPUExecutionProvider"]
    assert providers_for("auto") == expected_auto
    with pytest.raises(ValueError, match="unknown device"):
        providers_for("tpu")


def test_damaged_model_gives_a_clear_error(model):
    data = bytearray(model.read_bytes())
    data[:64] = b"\xff" * 64  # the protobuf header is garbage now
    model.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError) as err:
        create_session(model, "cpu")
    assert str(model) in str(err.value) and "damaged" in str(err.value)


def test_truncated_and_missing_models(model, tmp_path):
    model.write_bytes(model.read_bytes()[: len(model.read_bytes()) // 2])
    with pytest.raises(ModelLoadError, match="g.onnx"):
        create_session(model, "cpu")
    with pytest.raises(ModelLoadError, match="missing"):
        create_session(tmp_path / "absent.onnx", "cpu")
    with pytest.raises(ModelLoadError, match="missing"):
        SessionCache().get(tmp_path / "absent.onnx", "cpu")


def test_cache_shares_sessions_per_file_and_device(model):
    cache = SessionCache()
    a, _ = cache.get(model, "cpu")
    assert cache.get(model, "cpu")[0] is a
    assert cache.get(model, "auto")[0] is not a


# --- which file of a generator runs: int8 on the CPU, the float model on CUDA -----------------------

def _with_int8(tmp_path):
    """A manifest entry whose float and int8 files colour differently (so a test sees which ran)."""
    from _onnx_models import TINTS, generator_spec

    from ganime_desktop.core.manifest import CPU_INT8_ROLE, describe_file

    float_file = make_generator_onnx(tmp_path / "g.onnx", tint=TINTS["tiny-a"])
    int8_file = make_generator_onnx(tmp_path / "g.cpu-int8.onnx", tint=TINTS["tiny-b"])
    spec = generator_spec("g", float_file, tmp_path)
    return replace(spec, files={**spec.files, CPU_INT8_ROLE: describe_file(int8_file, tmp_path)}), float_file, int8_file


def test_cpu_runs_the_int8_model_and_says_so(tmp_path):
    spec, _, int8_file = _with_int8(tmp_path)
    assert generator_file(spec, "cpu") == (int8_file, "int8")
    session, info = generator_session(spec, "cpu", SessionCache())
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert info == ProviderInfo("cpu", "CPU", None, "int8", int8_file.name) and info.describe() == "CPU, int8"


def test_auto_without_cuda_runs_int8_and_a_model_without_int8_its_float_file(tmp_path):
    spec, float_file, int8_file = _with_int8(tmp_path)
    if cuda_starts():
        pytest.skip("CUDA starts on this machine")
    assert generator_file(spec, "auto") == (int8_file, "int8")
    _, info = generator_session(spec, "auto", SessionCache())
    assert (info.active, info.precision) == ("CPU", "int8") and info.reason.endswith("running on CPU")
    plain = replace(spec, files={"generator": spec.files["generator"]})
    for device in ("cpu", "auto", "cuda"):
        assert generator_file(plain, device) == (float_file, "fp32")


def test_cuda_gets_the_float_model_and_falls_back_to_int8_if_it_runs_on_cpu_after_all(tmp_path, monkeypatch):
    from ganime_desktop.core import sessions

    spec, float_file, int8_file = _with_int8(tmp_path)
    monkeypatch.setattr(sessions, "cuda_starts", lambda: True)  # the probe model started on CUDA
    assert generator_file(spec, "auto") == (float_file, "fp32")
    assert generator_file(spec, "cpu") == (int8_file, "int8")
    session, info = generator_session(spec, "auto", SessionCache())
    if CUDA in session.get_providers():  # a real GPU: the float model on CUDA
        assert (info.active, info.precision) == ("CUDA", "fp32")
    else:  # this model did not start on CUDA: the CPU gets its int8 model, not the float one
        assert (info.active, info.precision) == ("CPU", "int8")
        assert session.get_inputs()[0].name == "sketch" and "int8" in info.describe()


def test_the_pipeline_colours_with_the_file_the_device_gets(tmp_path):
    from ganime_desktop.core.pipeline import Colorizer

    spec, _, _ = _with_int8(tmp_path)
    sketch = np.full((32, 32, 3), 255, np.uint8)
    on_cpu = Colorizer(spec, "cpu").colorize(sketch)
    float_only = Colorizer(replace(spec, files={"generator": spec.files["generator"]}), "cpu").colorize(sketch)
    assert np.abs(on_cpu.astype(int) - float_only).mean() > 20  # tiny-b's paper is cool, tiny-a's warm


# --- why CUDA is not used, when its part is not installed -------------------------------------------

@pytest.mark.skipif(CUDA not in ort.get_available_providers(), reason="this onnxruntime has no CUDA provider")
def test_a_missing_cuda_provider_points_to_the_cuda_addon(tmp_path):
    from ganime_desktop.core.cuda_addon import how_to_get_cuda
    from ganime_desktop.core.sessions import diagnose_cuda

    absent = tmp_path / "libonnxruntime_providers_cuda.so"  # the CPU package: the add-on is not there
    for kind in ("deb", "user-archive", "windows", "bundle"):
        reason = diagnose_cuda(absent, kind)
        assert "the CUDA add-on is not installed" in reason and how_to_get_cuda(kind) in reason, reason
        assert "CPU-only bundle" not in reason and reason.endswith("; running on CPU")
    assert "reinstall onnxruntime-gpu" in diagnose_cuda(absent, "python")


def test_a_generator_without_its_float_file_runs_int8_on_every_device(tmp_path, monkeypatch):
    """The CPU package lacks the float file of a generator with an int8 file (the CUDA add-on brings
    it): every device gets the int8 model on the CPU, and where CUDA starts the reason says why."""
    from ganime_desktop.core import sessions

    spec, float_file, int8_file = _with_int8(tmp_path)
    float_file.unlink()
    for device in ("cpu", "auto", "cuda"):
        assert generator_file(spec, device) == (int8_file, "int8")
        session, info = generator_session(spec, device, SessionCache())
        assert session.get_providers() == ["CPUExecutionProvider"]
        assert (info.active, info.precision, info.model_file) == ("CPU", "int8", int8_file.name)
        assert (info.reason is None) == (device == "cpu")
    monkeypatch.setattr(sessions, "cuda_starts", lambda: True)  # a GPU machine with the CUDA provider
    assert generator_file(spec, "cuda") == (int8_file, "int8")
    _, info = generator_session(spec, "cuda", SessionCache())
    assert (info.active, info.precision) == ("CPU", "int8")
    assert "no usable GPU model file" in info.reason and "CUDA add-on" not in info.reason  # from source
    deb = sessions.no_gpu_file_reason(spec, "deb")
    assert "the CUDA add-on brings it" in deb and "ganime-studio-cuda_" in deb and deb.endswith("running on CPU")
    # A spec from the registry lists only the files that can run: the same choice.
    int8_only = replace(spec, files={k: v for k, v in spec.files.items() if k != "generator"})
    assert generator_file(int8_only, "cuda") == (int8_file, "int8")


def test_a_spec_without_its_int8_file_runs_the_float_model_on_the_cpu(tmp_path):
    spec, float_file, int8_file = _with_int8(tmp_path)
    int8_file.unlink()  # missing on disk
    assert generator_file(spec, "cpu") == (float_file, "fp32")
    _, info = generator_session(spec, "cpu", SessionCache())
    assert (info.active, info.precision, info.model_file) == ("CPU", "fp32", float_file.name)
