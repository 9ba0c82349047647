"""`evaluate --mode ... --hint-dots ...`: the bleed figure, the oracle flats, simulated hint dots, and
the colour-mode table end to end on tiny ONNX models through the app's own pipeline."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from _onnx_models import make_model_dir
from _region_pages import A1, A2, PAPER, B, C, drawing
from _tiny_vgg import write_tiny_vgg

from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.layers import multiply
from ganime_desktop.core.pipeline import Colorizer
from ganime_desktop.core.regions import segment
from ganime_desktop.core.registry import ModelRegistry
from training import evaluate, metrics
from training.__main__ import main

COLOURS = {A1: (220, 40, 40), A2: (40, 160, 60), B: (40, 80, 220), C: (240, 200, 40)}


def _flat_page(paper=(255, 255, 255)) -> tuple[np.ndarray, np.ndarray]:
    """(sketch gray, truth RGB): the synthetic drawing, each region one colour, lines black."""
    gray, names = drawing()
    truth = np.zeros((*gray.shape, 3), np.uint8)
    truth[names == PAPER] = paper
    for region, colour in COLOURS.items():
        truth[names == region] = colour
    return gray, truth  # line pixels stay black


def _pair(gray: np.ndarray, truth: np.ndarray, index: int = 0) -> evaluate.Pair:
    return evaluate.Pair(index, "truth.png", "sketch.png", None, gray_to_rgb(gray), truth)


def test_bleed_is_zero_on_flat_fills_and_counts_colour_that_crosses_a_line():
    gray, truth = _flat_page()
    regions = segment(gray)
    flat = metrics.region_bleed(truth, regions.labels, regions.lines)
    assert flat["share"] == 0.0 and flat["regions"] == 5 and flat["bleeding"] == 0
    # light and shadow as a gray multiply layer (the app's shaded mode) keep each region one hue
    shade = np.tile(np.linspace(80, 255, gray.shape[1]).astype(np.uint8), (gray.shape[0], 1))
    assert metrics.region_bleed(multiply(truth, shade), regions.labels, regions.lines)["share"] == 0.0
    # A1's red crosses the divider into A2 (a 12 px band): one region of five spans two hues
    crossed = truth.copy()
    crossed[30:140, 108:124] = COLOURS[A1]
    bleed = metrics.region_bleed(crossed, regions.labels, regions.lines)
    assert bleed["bleeding"] == 1 and bleed["share"] == pytest.approx(0.2) and 0 < bleed["area_share"] < 0.5
    # a tint that leaks onto white paper counts too (neutral is a hue class of its own)
    tinted = truth.copy()
    tinted[170:235, 210:300] = (250, 200, 200)
    assert metrics.region_bleed(tinted, regions.labels, regions.lines)["bleeding"] == 1


def test_oracle_flats_of_a_flat_truth_are_exact_and_the_paper_rule_is_separate():
    gray, truth = _flat_page()
    pair = _pair(gray, truth)
    oracles = {c.name: c for c in evaluate.oracle_candidates()}
    for candidate in oracles.values():
        page = candidate.pages([pair], [None])[0]
        assert metrics.mean_delta_e2000(page.render("flat"), truth) < 0.5
    # paper in colour (a face crop's background): the app's rule keeps it white, the ceiling does not
    gray, truth = _flat_page(paper=(120, 170, 230))
    pair = _pair(gray, truth)
    ceiling = oracles["oracle flats (true median per region)"].pages([pair], [None])[0].render("flat")
    app = oracles["oracle, app's rules"].pages([pair], [None])[0].render("flat")
    assert metrics.mean_delta_e2000(ceiling, truth) < 0.5
    assert metrics.mean_delta_e2000(app, truth) > 10


def test_hint_dots_are_inside_the_figure_of_the_true_colour_and_seeded():
    gray, truth = _flat_page()
    lines = segment(gray).lines
    layer, placed = evaluate.hint_dots(truth, lines, 40, seed=3, index=7)
    hinted = layer[..., 3] > 0
    assert placed == 40 and layer.dtype == np.uint8 and layer.shape == (*gray.shape, 4)
    assert not (hinted & metrics.blank_paper(truth)).any()  # never on blank paper
    assert not (hinted & lines).any()  # nor on a line: each dot lies inside one region
    np.testing.assert_array_equal(layer[hinted, :3], truth[hinted])  # the true colour
    r = evaluate.dot_radius(truth.shape)
    assert hinted.sum() <= 40 * (2 * r + 1) ** 2 and hinted.sum() > 40 * r * r  # 40 small discs

    again, _ = evaluate.hint_dots(truth, lines, 40, seed=3, index=7)
    np.testing.assert_array_equal(again, layer)  # reproducible
    other, _ = evaluate.hint_dots(truth, lines, 40, seed=3, index=8)
    assert not np.array_equal(other, layer)  # another image, other dots
    ten, placed = evaluate.hint_dots(truth, lines, 10, seed=3, index=7)
    assert placed == 10 and ((ten[..., 3] > 0) <= hinted).all()  # the 10 dots are among the 40

    blank = np.full_like(truth, 255)
    assert evaluate.hint_dots(blank, np.zeros(gray.shape, bool), 10, 0, 0)[1] == 0  # no figure, no dots


def test_evaluate_with_modes_and_hint_dots_end_to_end(faces_dir, tmp_path, capsys):
    models = make_model_dir(tmp_path / "models", names=("tiny-a",), hint_names=("tiny-h",), size_multiple=16,
                            working_size=64)
    out = tmp_path / "eval"
    rc = main(["evaluate", "--data", str(faces_dir), "--split", "test", "--onnx", str(models / "manifest.json"),
               "--limit", "3", "--image-size", "64", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
               "--fid-features", "vgg16", "--vgg-weights", str(write_tiny_vgg(tmp_path / "vgg.ckpt")),
               "--no-nst", "--no-fast-nst", "--grid", "2", "--mode", "raw", "flat", "shaded", "--hint-dots", "0", "10"])
    assert rc == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    assert [m["name"] for m in results["models"]] == ["tiny-a", "tiny-h", "sketch (passthrough)"]  # main table as before
    modes = results["colour_modes"]
    assert modes["modes"] == ["raw", "flat", "shaded"] and modes["dots"] == [0, 10]
    assert modes["dots_placed"]["10"] == [10, 10, 10]
    rows = {(r["name"], r["mode"], r["dots"]): r for r in modes["rows"]}
    for name in ("tiny-a", "tiny-h", "sketch (passthrough)"):
        assert {(m, d) for n, m, d in rows if n == name} == {(m, d) for m in ("raw", "flat", "shaded") for d in (0, 10)}
    assert set(rows) >= {("oracle flats (true median per region)", "flat", 0), ("oracle, app's rules", "shaded", 0)}
    # the raw row without dots is the main table's row
    main_row = next(m for m in results["models"] if m["name"] == "tiny-a")
    assert rows[("tiny-a", "raw", 0)]["delta_e_mean"] == pytest.approx(main_row["delta_e_mean"])
    # a network without hint inputs ignores the dots; the hint network and the fills do not
    assert rows[("tiny-a", "raw", 10)]["delta_e_mean"] == rows[("tiny-a", "raw", 0)]["delta_e_mean"]
    assert rows[("tiny-h", "raw", 10)]["delta_e_mean"] < rows[("tiny-h", "raw", 0)]["delta_e_mean"]
    passthrough = {d: rows[("sketch (passthrough)", "flat", d)]["delta_e_mean"] for d in (0, 10)}
    assert passthrough[10] < passthrough[0]  # dots of the true colour fill their regions
    assert rows[("tiny-a", "flat", 0)]["bleed_share"] == 0.0 < rows[("tiny-a", "raw", 0)]["bleed_share"]
    oracle = rows[("oracle flats (true median per region)", "flat", 0)]
    assert oracle["delta_e_mean"] < rows[("tiny-a", "flat", 0)]["delta_e_mean"]

    # the same code path as the app: Colorizer.colorize(mode=...) with the same dots gives the same images
    pairs = evaluate.load_pairs(str(faces_dir), "auto", "test", image_size=64, seed=0, limit=3,
                                cache_dir=str(tmp_path / "cache"))
    colorizer = Colorizer(ModelRegistry([models]).verify("tiny-h"), "cpu")
    regions = evaluate.pair_regions(pairs)
    for i, (p, r) in enumerate(zip(pairs, regions, strict=True)):
        dots, _ = evaluate.hint_dots(p.truth, r.lines, 10, 0, p.index)
        image = colorizer.colorize(p.sketch, hints=dots, mode="shaded")
        assert metrics.mean_delta_e2000(image, p.truth) == pytest.approx(
            rows[("tiny-h", "shaded", 10)]["per_image"]["delta_e2000"][i])

    table = (out / "table.md").read_text()
    assert "## Colour modes and hint dots" in table and "bleed % ↓" in table and "ΔE2000, 10 dots" in table
    csv_rows = list(csv.DictReader((out / "modes.csv").open()))
    assert len(csv_rows) == len(modes["rows"]) and {"bleed_share", "delta_e2000", "mode", "dots"} <= set(csv_rows[0])
    assert (out / "modes_grid.png").is_file()


def test_unknown_model_names_and_modes_are_clear_errors(faces_dir, tmp_path, capsys):
    models = make_model_dir(tmp_path / "models", names=("tiny-a",))
    base = ["evaluate", "--data", str(faces_dir), "--onnx", str(models / "manifest.json"), "--limit", "2",
            "--image-size", "64", "--out", str(tmp_path / "eval"), "--no-nst", "--no-fast-nst"]
    assert main([*base, "--names", "nope"]) != 0
    assert "no model named nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--mode", "sepia"])


def test_whole_pages_with_a_keras_hint_run(fullbody_dir, tmp_path, capsys):
    """Whole full-body pages (of several sizes, not square crops) through a tiny Keras hint U-Net."""
    from training.networks import build_unet_generator

    run = tmp_path / "run"
    run.mkdir()
    build_unet_generator(ngf=4, depth=5, norm="batch", upsample="resize", padding="reflect",
                         in_channels=7).save(run / "generator.keras")
    (run / "config.json").write_text(json.dumps({"approach": "pix2pix", "image_size": 64, "ngf": 4, "depth": 5,
                                                  "hints": True}))
    out = tmp_path / "eval"
    rc = main(["evaluate", "--data", str(fullbody_dir), "--runs", str(run), "--limit", "2", "--image-size", "64",
               "--whole-pages", "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--fid-features", "vgg16",
               "--vgg-weights", str(write_tiny_vgg(tmp_path / "vgg.ckpt")), "--no-nst", "--no-fast-nst",
               "--mode", "raw", "flat", "--hint-dots", "0", "--sloppy-dots", "10"])
    assert rc == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["whole_pages"] and "whole images" in results["settings"]["pairs_rule"]
    assert results["settings"]["sloppy_dots"] == [10] and results["colour_modes"]["sloppy_dots"] == [10]
    pairs = evaluate.load_pairs(str(fullbody_dir), "auto", "test", image_size=64, seed=0, limit=2,
                                cache_dir=str(tmp_path / "cache"), whole=True)
    assert all(min(p.truth.shape[:2]) == 64 and max(p.truth.shape[:2]) > 64 for p in pairs)  # uncropped
    rows = {(r["name"], r["mode"], r["dots"], r["placement"]): r for r in results["colour_modes"]["rows"]}
    assert {("run", m, 0, "careful") for m in ("raw", "flat")} | {("run", m, 10, "sloppy") for m in ("raw", "flat")} <= set(rows)
    # it saw the dots (the tiny pages leave little room for careful ones: sloppy dots, anywhere off the lines)
    assert rows[("run", "raw", 10, "sloppy")]["delta_e_mean"] != rows[("run", "raw", 0, "careful")]["delta_e_mean"]
