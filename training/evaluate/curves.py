"""FID, SSIM, ΔE2000 and paper whiteness over a run's checkpoints (``--curves``): GAN training
oscillates, so the checkpoint to ship is chosen on these."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ganime_desktop.core.imageio import write_image_atomic, write_text_atomic
from training import metrics
from training.model_loading import CheckpointGone, list_checkpoints, load_run_generator, restore_generator

from .candidates import keras_colorizer
from .pairs import Pair


def checkpoint_curves(run_dir: Path, pairs: list[Pair], extractor, truth_features, log) -> dict[str, list]:
    """SSIM, ΔE2000, paper whiteness and FID of the generator at every checkpoint kept in RUN_DIR/checkpoints:
    GAN training oscillates, so the checkpoint to ship is chosen on these, not taken as the last one."""
    model = load_run_generator(run_dir)
    colorize = keras_colorizer(model)
    points = []
    for checkpoint in list_checkpoints(run_dir):
        try:
            restore_generator(model, checkpoint)
        except CheckpointGone:  # a running training deleted it (keep_checkpoints)
            log(f"  {checkpoint}: gone, skipped")
            continue
        step = checkpoint.step
        outputs = colorize(pairs)
        both = list(zip(outputs, pairs, strict=True))
        ssim = float(np.mean([metrics.ssim(o, p.truth) for o, p in both]))
        delta_e = float(np.mean([metrics.mean_delta_e2000(o, p.truth) for o, p in both]))
        paper = [v for v in (metrics.paper_whiteness(o, p.truth) for o, p in both) if math.isfinite(v)]
        paper_mean = float(np.mean(paper)) if paper else None
        fid_value = (metrics.frechet_distance_of_features(extractor.embed(outputs), truth_features)
                     if extractor is not None and len(pairs) >= 2 else None)
        points.append({"step": step, "ssim_mean": ssim, "delta_e_mean": delta_e, "paper_delta_e_mean": paper_mean,
                       "fid": fid_value})
        log(f"  {run_dir.name} step {step}: SSIM {ssim:.4f}, dE2000 {delta_e:.2f}"
            + (f", paper dE {paper_mean:.2f}" if paper_mean is not None else "")
            + (f", {extractor.label} {fid_value:.2f}" if fid_value is not None else ""))
    return {"run": str(run_dir), "points": points}


def write_curves(out: Path, curves: list[dict[str, Any]], fid_label: str) -> None:
    from training.plots import line_plot

    ssim = {Path(c["run"]).name: [(p["step"], p["ssim_mean"]) for p in c["points"]] for c in curves}
    fid_series = {Path(c["run"]).name: [(p["step"], p["fid"]) for p in c["points"] if p["fid"] is not None]
                  for c in curves}
    write_image_atomic(out / "curves_ssim.png", line_plot(ssim, title="SSIM over training (test pairs)", xlabel="step",
                                                  ylabel="SSIM mean"))
    delta_e = {Path(c["run"]).name: [(p["step"], p["delta_e_mean"]) for p in c["points"]] for c in curves}
    write_image_atomic(out / "curves_delta_e.png", line_plot(delta_e, title="ΔE2000 over training (test pairs)",
                                                     xlabel="step", ylabel="ΔE2000 mean"))
    write_image_atomic(out / "curves_fid.png", line_plot(fid_series, title=f"{fid_label} over training (test pairs)",
                                                 xlabel="step", ylabel=fid_label))
    write_text_atomic(out / "curves.json", json.dumps({"fid_label": fid_label, "runs": curves}, indent=2) + "\n")
