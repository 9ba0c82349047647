"""Dataset layouts, XDoG sketches and the tf.data pipeline, on images made here and real faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from training import data, xdog


def _write(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    buf.tofile(str(path))
    return path


def _drawing(seed: int, h: int = 96, w: int = 96) -> np.ndarray:
    """A colour picture with shapes, so XDoG finds lines."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 255, np.uint8)
    for _ in range(4):
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        center = (int(rng.integers(10, w - 10)), int(rng.integers(10, h - 10)))
        cv2.circle(img, center, int(rng.integers(5, 30)), color, -1)
    return img


def test_xdog_is_binary_line_art_and_deterministic(faces_dir):
    rgb = cv2.cvtColor(cv2.imread(str(faces_dir / "test" / "0000.jpg")), cv2.COLOR_BGR2RGB)
    a = xdog.sketch_for(rgb, "some/key.jpg", seed=3)
    b = xdog.sketch_for(rgb, "some/key.jpg", seed=3)
    assert a.shape == rgb.shape[:2] and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    dark = (a < 128).mean()
    assert 0.02 < dark < 0.5, "line art: mostly white paper with some black lines"
    assert ((a < 16) | (a > 239)).mean() > 0.97, "phi = 1e9 makes it practically binary"


def test_xdog_sigma_is_drawn_per_image_and_seed():
    sigmas = {xdog.sigma_for(f"img{i}.png", seed=0) for i in range(60)}
    assert sigmas == set(xdog.SIGMAS)
    assert xdog.sigma_for("a.png", 0) == xdog.sigma_for("a.png", 0)
    assert [xdog.sigma_for(f"k{i}", 0) for i in range(20)] != [xdog.sigma_for(f"k{i}", 1) for i in range(20)]
    # larger sigma, thicker lines
    img = _drawing(1, 128, 128)
    assert (xdog.xdog(img, 0.5) < 128).sum() > (xdog.xdog(img, 0.3) < 128).sum()


def test_color_layout_synthesizes_and_caches_sketches(tmp_path):
    for i in range(3):
        _write(tmp_path / "ds" / "train" / f"{i}.png", _drawing(i))
    sources = data.list_sources(tmp_path / "ds", "auto", "train")
    assert [s.layout for s in sources] == ["color"] * 3
    loader = data.PairLoader(load_size=64, seed=0, cache_dir=tmp_path / "cache")
    color, sketch = loader.load(sources[0])
    assert color.shape == (64, 64, 3) and sketch.shape == (64, 64)
    cached = list((tmp_path / "cache").glob("*.png"))
    assert len(cached) == 1
    # the cached sketch is what a second load returns
    stamp = cached[0].stat().st_mtime_ns
    _, again = loader.load(sources[0])
    np.testing.assert_array_equal(sketch, again)
    assert cached[0].stat().st_mtime_ns == stamp


def test_kaggle_layout_splits_colour_left_sketch_right(tmp_path):
    color = _drawing(5, 64, 64)
    sketch = np.full((64, 64, 3), 255, np.uint8)
    cv2.line(sketch, (0, 0), (63, 63), (0, 0, 0), 2)
    for split in ("train", "val"):
        _write(tmp_path / split / "1.png", np.hstack([color, sketch]))
    sources = data.list_sources(tmp_path, "auto", "val")
    assert sources[0].layout == "kaggle" and sources[0].color.parent.name == "val"
    got_color, got_sketch = data.PairLoader(load_size=64).load(sources[0])
    np.testing.assert_array_equal(got_color, color)
    assert got_sketch[0, 0] < 50 and got_sketch[0, 63] > 200


def test_paired_layout_matches_names(tmp_path):
    for name in ("p1", "p2", "p10"):
        _write(tmp_path / "train" / "color" / f"{name}.png", _drawing(len(name)))
        _write(tmp_path / "train" / "sketch" / f"{name}.png", np.full((96, 96, 3), 200, np.uint8))
    _write(tmp_path / "train" / "color" / "orphan.png", _drawing(9))
    sources = data.list_sources(tmp_path, "auto", "train")
    assert [s.color.stem for s in sources] == ["p1", "p2", "p10"]
    assert all(s.layout == "paired" and s.sketch.stem == s.color.stem for s in sources)


def test_unreadable_files_are_skipped_with_one_warning(tmp_path):
    for i in range(2):
        _write(tmp_path / "train" / f"{i}.png", _drawing(i))
    (tmp_path / "train" / "broken.png").write_bytes(b"not an image at all")
    (tmp_path / "train" / "empty.jpg").write_bytes(b"")
    sources = data.list_sources(tmp_path, "color", "train")
    messages = []
    good = data.prepare_sources(sources, data.PairLoader(load_size=64), log=messages.append)
    assert len(good) == 2
    assert len(messages) == 1 and "broken.png" in messages[0] and "empty.jpg" in messages[0]


@pytest.mark.parametrize("make", ["missing", "empty", "only_text"])
def test_empty_or_wrong_folder_is_a_clear_error(tmp_path, make):
    folder = tmp_path / "ds"
    if make != "missing":
        (folder / "train").mkdir(parents=True)
    if make == "only_text":
        (folder / "train" / "notes.txt").write_text("hello")
    with pytest.raises(data.DataError, match="ds"):
        data.list_sources(folder, "auto", "train")


def test_non_ascii_paths_grayscale_rgba_and_16_bit(tmp_path):
    folder = tmp_path / "データ" / "train"
    folder.mkdir(parents=True)
    gray = np.full((40, 40), 90, np.uint8)
    cv2.imencode(".png", gray)[1].tofile(str(folder / "灰色.png"))
    rgba = np.zeros((40, 40, 4), np.uint8)  # fully transparent: composited on white paper
    cv2.imencode(".png", rgba)[1].tofile(str(folder / "alpha.png"))
    deep = np.full((40, 40, 3), 65535, np.uint16)
    cv2.imencode(".png", deep)[1].tofile(str(folder / "deep.png"))
    loaded = {s.color.name: data.PairLoader(load_size=40).load(s)[0]
              for s in data.list_sources(folder.parent, "color", "train")}
    assert loaded["灰色.png"].shape == (40, 40, 3) and loaded["灰色.png"].max() == 90
    assert loaded["alpha.png"].min() == 255
    assert loaded["deep.png"].dtype == np.uint8 and loaded["deep.png"].min() == 255


def test_real_faces_folder_is_detected_as_colour_only(faces_dir):
    sources = data.list_sources(faces_dir, "auto", "test")
    assert len(sources) == 100 and {s.layout for s in sources} == {"color"}
    assert sources[0].color.name == "0000.jpg" and sources[0].color.parent.name == "test"


def test_a_dataset_gives_the_same_sketches_wherever_it_lies(tmp_path):
    """The XDoG sigma of each image is drawn from its path inside the dataset, not its absolute
    path: CI, which keeps the data elsewhere, once coloured other sketches than this machine."""
    here, there = tmp_path / "here" / "ds", tmp_path / "somewhere" / "else" / "データ"
    for i in range(12):
        for root in (here, there):
            _write(root / "test" / f"{i:04d}.png", _drawing(i))
    loader = data.PairLoader(load_size=96)
    a, b = data.list_sources(here, "color", "test"), data.list_sources(there, "color", "test")
    assert [s.key for s in a] == [s.key for s in b] == [f"test/{i:04d}.png" for i in range(12)]
    for sa, sb in zip(a, b, strict=True):
        assert np.array_equal(loader.load(sa)[1], loader.load(sb)[1]), sa.key
    # and the sigma does matter: the sketches differ between sigmas
    assert len({xdog.sigma_for(s.key, 0) for s in a}) > 1
    drawing = _drawing(0)
    assert not np.array_equal(xdog.xdog(drawing, 0.3), xdog.xdog(drawing, 0.5))
