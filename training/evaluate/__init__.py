"""The GANime paper's Table 1 for any set of models, with honest baselines: `python -m training evaluate`.

    python -m training evaluate --data DIR --split test --runs RUN_DIR ... --onnx MANIFEST ... --out DIR

Every model colours the same fixed, recorded list of test pairs (the shared data layer: sketches
from the dataset, or XDoG with a recorded seed and sigma; centre crops at --image-size, exactly
as training's held-out images). Keras runs are run with training=False (the reference code
evaluated in training mode); ONNX models through the app's own pipeline.

Columns per model: FID (Inception when its weights exist, else "FID-VGG16", labelled so), SSIM
mean and sd (as the paper: uint8, tf.image.ssim's definition), mean CIEDE2000 to the truth, and
"paper" = mean CIEDE2000 from white over the truth's blank-paper pixels (a model that fogs white
paper scores high). Baselines computed in the same run: the sketch passed through unchanged,
fast NST and NST (both styled by the ground truth, as the paper's NST); NST is slow on CPU, so it
runs on the first --nst-limit pairs and the table says so (with all models' numbers on that subset).

"bleed" = the share of the sketch's closed regions whose pixels span more than one hue
(``metrics.region_bleed``, regions from the app's ganime_desktop/core/regions.py): colour that
crossed the line art.

Colour modes and hint dots (``--mode raw flat shaded --hint-dots 0 10 40``): every model that
can (the ONNX models, Keras runs, the passthrough) also renders each page in each of the app's
colour modes (ganime_desktop/core/colour_modes.py, through the app's own ``Colorizer.colour_page``
and ``PageColouring.render``: no second path) with N simulated hint dots of the true colour
(``hint_dots``: discs of radius 1 % of the shorter side, centred on pixels of the figure, not on
blank paper or near a line, the colour the truth's 3x3 mean there; seeded per image, and the
first 10 of an image's dots are the same in the 10- and 40-dot runs). Hint models see the dots;
in "flat" and "shaded" every model's regions take the dots' colours. Reported per (model, mode,
dots): ΔE2000, SSIM, paper ΔE2000, bleed. Beside them the "oracle" rows: each region filled with
its true median colour (the truth given to ``PageColouring`` as the network's colour): with the
paper rule off, how much the segmentation itself loses; with the app's rules (paper stays white)
in flat and shaded, what a perfect network would reach in those modes.

Writes table.md, table.csv, results.json (settings, pairs, seeds, per-image metrics), modes.csv,
grid.png (sketch | each model | truth for the first --grid pairs) and, with --curves, FID and SSIM
over each run's checkpoints (curves_fid.png, curves_ssim.png, curves.json).

The package, one module per concern: ``pairs`` (the fixed test pairs), ``candidates`` (models,
baselines, oracles), ``scoring`` (the metrics of a row), ``modes`` (the colour modes and hint
dots; their options, shared with hint_eval), ``report`` (the tables and files written), ``curves``
(over checkpoints) and ``cli`` (the command). The names other code uses are re-exported here.
"""

from __future__ import annotations

from training.hint_dots import dot_radius, hint_dots

from .candidates import (
    Candidate,
    baseline_fast_nst,
    baseline_nst,
    baseline_passthrough,
    keras_colorizer,
    keras_pages,
    onnx_candidates,
    oracle_candidates,
    run_label,
)
from .cli import add_arguments, evaluate, run
from .curves import checkpoint_curves
from .modes import ModeRun, add_mode_arguments, colour_mode_rows, mode_settings
from .pairs import Pair, load_pairs, pair_regions, sketch_gray
from .report import modes_csv, modes_grid, modes_json, modes_markdown, write_report
from .scoring import Scores, score, score_outputs, truth_stats

__all__ = [
    "Candidate", "ModeRun", "Pair", "Scores", "add_arguments", "add_mode_arguments", "baseline_fast_nst",
    "baseline_nst", "baseline_passthrough", "checkpoint_curves", "colour_mode_rows", "dot_radius", "evaluate",
    "hint_dots", "keras_colorizer", "keras_pages", "load_pairs", "mode_settings", "modes_csv", "modes_grid",
    "modes_json", "modes_markdown", "onnx_candidates", "oracle_candidates", "pair_regions", "run", "run_label",
    "score", "score_outputs", "sketch_gray", "truth_stats", "write_report",
]
