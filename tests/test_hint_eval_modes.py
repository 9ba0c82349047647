"""`python -m training hint-eval --mode ... --hint-dots ...`: the colour-mode table for one hint model."""

from __future__ import annotations

import argparse
import json

from _onnx_models import make_hint_generator_onnx

from training import hint_eval
from training.__main__ import main


def test_hint_eval_defaults_to_every_mode_with_0_10_40_dots():
    parser = argparse.ArgumentParser()
    hint_eval.add_arguments(parser)
    args = parser.parse_args(["--model", "m.onnx", "--data", "d", "--out", "o"])
    assert args.mode == ["raw", "flat", "shaded"] and args.hint_dots == [0, 10, 40]


def test_hint_eval_with_modes_and_hint_dots_end_to_end(faces_dir, tmp_path, capsys):
    model = make_hint_generator_onnx(tmp_path / "copy.onnx")  # colours like a tiny generator, pastes hints
    out = tmp_path / "eval"
    rc = main(["hint-eval", "--model", str(model), "--data", str(faces_dir), "--data-format", "color", "--limit", "2",
               "--image-size", "64", "--cache-dir", str(tmp_path / "cache"), "--no-fid", "--device", "cpu",
               "--out", str(out), "--mode", "raw", "flat", "--hint-dots", "0", "10"])
    assert rc == 0, capsys.readouterr().err
    report = json.loads((out / "hints_eval.json").read_text())
    assert report["settings"]["modes"] == ["raw", "flat"] and report["settings"]["hint_dots"] == [0, 10]
    rows = {(r["name"], r["mode"], r["dots"]): r for r in report["colour_modes"]["rows"]}
    name = next(n for n, _, _ in rows if n.startswith("ONNX copy"))
    assert {(m, d) for n, m, d in rows if n == name} == {("raw", 0), ("raw", 10), ("flat", 0), ("flat", 10)}
    # the network sees the dots (this one pastes them), and in flat they fill their regions
    assert rows[(name, "raw", 10)]["delta_e_mean"] < rows[(name, "raw", 0)]["delta_e_mean"]
    assert rows[(name, "flat", 10)]["delta_e_mean"] < rows[(name, "flat", 0)]["delta_e_mean"]
    assert rows[(name, "flat", 0)]["bleed_share"] == 0.0
    assert ("oracle flats (true median per region)", "flat", 0) in rows
    assert ("sketch (passthrough)", "flat", 10) in rows
    md = (out / "hints_eval.md").read_text()
    assert "## Colour modes and hint dots" in md and "bleed % ↓" in md
    assert (out / "modes_grid.png").is_file() and (out / "grid.png").is_file()
