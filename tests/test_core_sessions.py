"""core.sessions: the provider chain for real on this machine (onnxruntime-gpu installed; CUDA may
or may not start), the reason when CUDA is not obtained, and damaged model files."""

from __future__ import annotations

import onnxruntime as ort
import pytest
from _onnx_models import make_generator_onnx

from ganime_desktop.core.sessions import (
    CUDA,
    ModelLoadError,
    ProviderInfo,
    SessionCache,
    create_session,
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
