"""Progress with an ETA (training/progress.py) where evaluation, hint evaluation and the sketch cache spend time."""

from __future__ import annotations

import io

import cv2
import numpy as np

from training import data
from training.progress import Progress, format_seconds


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_lines_count_rate_and_eta_in_a_log_and_redraw_on_a_terminal():
    log = io.StringIO()
    with Progress(4, "model", stream=log) as bar:
        bar.update()
        bar.update(3)
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("model: 1/4 images (25 %)") and "ETA" in lines[0]
    assert lines[-1].startswith("model: 4/4 images in ")
    tty = _Tty()
    with Progress(2, "x", unit="probe", stream=tty) as bar:
        bar.update()
        bar.clear()
        bar.update()
    assert tty.getvalue().startswith("\rx: 0/2 probes (0 %)") and tty.getvalue().endswith("x: 2/2 probes in 0 s\n")
    silent = io.StringIO()
    with Progress(0, "nothing", stream=silent):
        pass
    assert silent.getvalue() == ""
    assert [format_seconds(s) for s in (4.2, 185, 3725)] == ["4 s", "3 min 05 s", "1 h 02 min"]


def _pairs(count: int):
    from training.evaluate import Pair

    rng = np.random.default_rng(0)
    pairs = []
    for i in range(count):
        truth = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        sketch = np.full_like(truth, 255)
        sketch[::8] = 0
        pairs.append(Pair(i, f"{i}.png", None, 0.4, sketch, truth))
    return pairs


def test_evaluate_and_hint_eval_show_progress_per_model_and_image(capsys):
    from training.evaluate import baseline_passthrough, score
    from training.hint_eval import evaluate_hints
    from training.hints import HintConfig

    pairs = _pairs(3)
    scores, _ = score(baseline_passthrough(), pairs, None, None, log=lambda _: None)
    assert len(scores.ssim) == 3
    assert "sketch (passthrough): 3/3 images in" in capsys.readouterr().err
    evaluate_hints(lambda sketch, hints: sketch, pairs, HintConfig(), 0, log=lambda _: None)
    assert "with and without hints: 3/3 images in" in capsys.readouterr().err


def test_the_sketch_cache_first_fill_shows_progress_and_the_second_run_does_not(tmp_path, capsys):
    (tmp_path / "train").mkdir()
    for i in range(3):
        image = np.full((40, 40, 3), 250, np.uint8)
        cv2.circle(image, (20, 20), 5 + 3 * i, (200, 40, 40), -1)
        cv2.imwrite(str(tmp_path / "train" / f"{i}.png"), image)
    sources = data.list_sources(tmp_path, "color", "train")
    loader = data.PairLoader(load_size=32, cache_dir=tmp_path / "cache")
    assert len(data.prepare_sources(sources, loader)) == 3
    assert f"XDoG sketches into {tmp_path / 'cache'}: 3/3 sketches in" in capsys.readouterr().err
    data.prepare_sources(sources, loader)
    assert "XDoG sketches" not in capsys.readouterr().err
