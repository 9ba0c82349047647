"""The JAX trainer: ``python -m training pix2pix --backend jax`` (or KERAS_BACKEND=jax).

The same Keras networks and loss terms as the TensorFlow trainer (training/networks.py,
training/losses.py, ``Pix2Pix.generator_terms``), trained with one jitted, purely functional step in
the manner of Keras' guide "Writing a training loop from scratch in JAX": ``stateless_call`` for the
networks, ``stateless_apply`` for the optimizers, ``jax.value_and_grad`` for the gradients. Runs on
a GPU where JAX has CUDA (Linux, WSL2) and on the CPU otherwise; TensorFlow is never imported.

Input: the sample pool (training/sample_pool.py), worker processes that crop, draw sketches in the
run's ``--sketch-style`` and simulate hints while the accelerator trains.

Beyond the TensorFlow trainer: an exponential moving average of the generator's weights
(``--ema``; Yazici et al. 2019 show averaging GAN weights beats the last iterate), saved as the
final generator.keras; ``--max-minutes`` for runs with a fixed time budget; for fine-tunes,
``--lambda-start-penalty``, a pull of the generator's weights toward those it started from (L2-SP, Li
et al. 2018, "Explicit inductive bias for transfer learning with convolutional networks"), and
``--lambda-start-outputs``, the start generator's colourings of drawn sketches as their targets in
place of the truth (Learning without Forgetting, Li & Hoiem 2016); pairs with real sketches learn
their truth. Checkpoints are
portable (training/portable_checkpoint.py); a killed run resumes at its last one with the same
command, and ``python -m export`` reads the run as it reads a TensorFlow one.
Not on JAX (yet): ``--gan-loss wgan-gp``, ``--lambda-perceptual``, CycleGAN.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from training.errors import TrainingError
from training.hints import hint_config, hint_region_weight
from training.run_config import RunDir, StopRequested, prepare_data, write_json_atomic
from training.run_lock import RunLock

START_WEIGHTS_FILE = "start_generator.weights.h5"  # the start the pulls aim at, kept so a resumed run pulls toward it
START_PULLS = ("lambda_start_penalty", "lambda_start_outputs")  # config keys of the fine-tunes' pulls (JAX only)


def flag_of(key: str) -> str:
    return "--" + key.replace("_", "-")


def check_supported(cfg: dict[str, Any]) -> None:
    if cfg.get("gan_loss", "bce") != "bce":
        raise TrainingError("--gan-loss wgan-gp trains with --backend tensorflow only")
    if cfg.get("lambda_perceptual", 0.0) > 0:
        raise TrainingError("--lambda-perceptual trains with --backend tensorflow only")
    if not 0.0 <= cfg.get("ema", 0.0) < 1.0:
        raise TrainingError("--ema must be in [0, 1)")
    for key in START_PULLS:
        flag = flag_of(key)
        if cfg.get(key, 0.0) < 0:
            raise TrainingError(f"{flag} must be 0 (off) or more")
        if cfg.get(key, 0.0) > 0 and not cfg.get("init_from"):
            raise TrainingError(f"{flag} pulls a fine-tune toward the generator it started from: give "
                                "that with --init-from RUN")
    if cfg.get("start_outputs_data") and cfg.get("lambda_start_outputs", 0.0) <= 0:
        # the folders only choose whose sketches learn the start's colourings: alone they would do nothing
        raise TrainingError("--start-outputs-data chooses the folders --lambda-start-outputs holds to the start's "
                            "colourings: give --lambda-start-outputs W (100 was used) or leave the folders out")


def pulls_toward_start(cfg: dict[str, Any]) -> bool:
    return any(cfg.get(key, 0.0) > 0 for key in START_PULLS)


def held_to_start(sources, cfg: dict[str, Any]) -> tuple[bool, ...] | None:
    """Per source, whether its drawn sketches learn the start's colouring (--lambda-start-outputs): those
    of the --start-outputs-data folders, or of every folder when none is named; None when it is off."""
    if cfg.get("lambda_start_outputs", 0.0) <= 0:
        return None
    folders = cfg.get("start_outputs_data")
    if not folders:
        return tuple(True for _ in sources)
    named = {Path(f) for f in folders}
    unknown = sorted(str(f) for f in named - {Path(d) for d in cfg["data"]})
    if unknown:
        raise TrainingError(f"--start-outputs-data names {', '.join(unknown)}, not a --data folder: name "
                            "folders exactly as --data gives them")
    return tuple(src.root in named for src in sources)


def make_step(approach, cfg: dict[str, Any]):
    """The jitted train step: (state, uint8 batch, start or None) -> (state, mean losses). The start
    (the generator's trainable and non-trainable values when the fine-tune began) is an argument, not
    a constant of the compiled step, and is never donated: every step reads it."""
    import jax
    import jax.numpy as jnp

    from training import losses
    from training.sample_pool import to_model_inputs

    gen, disc = approach.generator, approach.discriminator
    g_opt, d_opt = approach.g_opt, approach.d_opt
    batch_size = cfg["batch_size"]
    decay = float(cfg.get("ema", 0.0))

    hint_weight = hint_region_weight(cfg)
    start_weight = float(cfg.get("lambda_start_penalty", 0.0))
    outputs_weight = float(cfg.get("lambda_start_outputs", 0.0))
    l1_weight = float(cfg.get("lambda_l1", 100.0))

    def g_loss_fn(g_tv, g_ntv, d_tv, d_ntv, x, colour, region, start, kept):
        fake, g_ntv = gen.stateless_call(g_tv, g_ntv, x, training=True)
        fake_logits, _ = disc.stateless_call(d_tv, d_ntv, jnp.concatenate([x, fake], -1), training=True)
        terms = approach.generator_terms(fake, colour, fake_logits)
        per_example = approach.generator_total(terms)
        if hint_weight > 0:  # the hinted colour across each hinted region, however small the region
            terms["g_hint_region"] = losses.masked_l1(fake, colour, region)
            per_example = per_example + hint_weight * terms["g_hint_region"]
        if outputs_weight > 0:  # a drawn sketch learns the start's colouring in place of its truth
            teacher, held = kept
            to_start = approach.l1(fake, teacher)
            terms["g_start_outputs"] = to_start * held
            per_example = per_example + held * (outputs_weight * to_start - l1_weight * terms["g_l1"])
        total = losses.average(per_example, batch_size)
        if start_weight > 0:  # L2-SP: once per step, not per example
            terms["g_start_distance"] = sum(jnp.sum(jnp.square(w - w0)) for w, w0 in zip(g_tv, start[0], strict=True))
            total = total + start_weight * terms["g_start_distance"]
        return total, (fake, g_ntv, {k: jnp.mean(v) for k, v in terms.items()})

    def d_loss_fn(d_tv, d_ntv, x, colour, fake):
        real_logits, d_ntv = disc.stateless_call(d_tv, d_ntv, jnp.concatenate([x, colour], -1), training=True)
        fake_logits, d_ntv = disc.stateless_call(d_tv, d_ntv, jnp.concatenate([x, fake], -1), training=True)
        return losses.average(approach.discriminator_terms(real_logits, fake_logits), batch_size), d_ntv

    def step(state, batch, start):
        g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, ema = state
        x, colour = to_model_inputs(batch, jnp)
        region = batch["hint_region"].astype(jnp.float32) / 255.0 if hint_weight > 0 else None
        kept = None
        if outputs_weight > 0:  # the start generator as the app runs it (inference mode)
            teacher, _ = gen.stateless_call(start[0], start[1], x, training=False)
            kept = (jax.lax.stop_gradient(teacher), batch["held"][:, 0].astype(jnp.float32))
        (g_loss, (fake, g_ntv, terms)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
            g_tv, g_ntv, d_tv, d_ntv, x, colour, region, start, kept)
        # D's update uses D before G's update changed anything, as the TensorFlow step does.
        (d_loss, d_ntv), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            d_tv, d_ntv, x, colour, jax.lax.stop_gradient(fake))
        g_tv, g_ov = g_opt.stateless_apply(g_ov, g_grads, g_tv)
        d_tv, d_ov = d_opt.stateless_apply(d_ov, d_grads, d_tv)
        if decay > 0:
            ema = [decay * e + (1.0 - decay) * v if jnp.issubdtype(v.dtype, jnp.floating) else v
                   for e, v in zip(ema, [*g_tv, *g_ntv], strict=True)]
        return (g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, ema), {"g_total": g_loss, **terms, "d": d_loss}

    return jax.jit(step, donate_argnums=0)


def initial_state(approach, ema_values=None):
    import jax.numpy as jnp

    g, d = approach.generator, approach.discriminator
    # The EMA gets its own buffers: the step donates the whole state, and a buffer may be donated once.
    g_vars = [jnp.array(v.value, copy=True) for v in [*g.trainable_variables, *g.non_trainable_variables]]
    return ([v.value for v in g.trainable_variables], [v.value for v in g.non_trainable_variables],
            [v.value for v in d.trainable_variables], [v.value for v in d.non_trainable_variables],
            [v.value for v in approach.g_opt.variables], [v.value for v in approach.d_opt.variables],
            [jnp.asarray(v) for v in ema_values] if ema_values is not None else g_vars)


def write_back(approach, state) -> None:
    """Put the functional state back into the Keras variables (before saving)."""
    g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, _ = state
    g, d = approach.generator, approach.discriminator
    for variables, values in ((g.trainable_variables, g_tv), (g.non_trainable_variables, g_ntv),
                              (d.trainable_variables, d_tv), (d.non_trainable_variables, d_ntv),
                              (approach.g_opt.variables, g_ov), (approach.d_opt.variables, d_ov)):
        for var, value in zip(variables, values, strict=True):
            var.assign(value)


def start_weights(run: RunDir, approach, cfg: dict[str, Any], fresh: bool):
    """The generator's (trainable, non-trainable) values when the fine-tune began, which the start pulls
    aim at, or None when both are off. A run that just warm-started saves them
    (RUN/start_generator.weights.h5); a resumed run reads them back, so it pulls toward the same start
    even if the run it started from has trained on since."""
    if not pulls_toward_start(cfg):
        return None
    import jax.numpy as jnp

    from training import portable_checkpoint

    g = approach.generator
    path = run.path / START_WEIGHTS_FILE
    if fresh:
        tmp = run.path / f".{START_WEIGHTS_FILE}.tmp.weights.h5"  # Keras insists on the suffix
        g.save_weights(tmp)
        tmp.replace(path)
        return tuple([jnp.array(v.value, copy=True) for v in variables]  # the step donates the variables' own
                     for variables in (g.trainable_variables, g.non_trainable_variables))
    if not path.is_file():
        raise TrainingError(f"{path} is missing: --lambda-start-penalty and --lambda-start-outputs resume only a "
                            "run that started with one of them; resume without them, or start a new --run-dir")
    try:
        saved = portable_checkpoint.load_weights_arrays(g, path)
    except ValueError as exc:
        raise TrainingError(f"cannot read the start weights {path}: {exc}") from None
    return tuple([jnp.asarray(v) for v in _in_variable_order(g, saved, variables)]
                 for variables in (g.trainable_variables, g.non_trainable_variables))


def _in_variable_order(model, weight_values: list, variables) -> list:
    """Values given in ``model.weights`` order, rearranged for ``variables`` (a variable that is not a
    weight, such as a seed generator's state, keeps its own value)."""
    by_path = {w.path: value for w, value in zip(model.weights, weight_values, strict=True)}
    return [by_path.get(v.path, v.value) for v in variables]


def ema_as_weights(approach, ema) -> list:
    """The EMA values in ``generator.weights`` order (trainable, then non-trainable weights; seed
    generator states are variables but not weights)."""
    g = approach.generator
    by_path = {v.path: e for v, e in zip([*g.trainable_variables, *g.non_trainable_variables], ema, strict=True)}
    return [np.asarray(by_path[w.path]) for w in g.weights]


def save_checkpoint(run: RunDir, approach, state, step: int, keep: int) -> Path:
    from training import portable_checkpoint

    write_back(approach, state)
    networks = {"generator": approach.generator, "discriminator": approach.discriminator,
                "generator_ema": (approach.generator, ema_as_weights(approach, state[6]))}
    return portable_checkpoint.save(run.checkpoints, step, networks,
                                    {"generator_optimizer": approach.g_opt,
                                     "discriminator_optimizer": approach.d_opt}, keep)


def restore_checkpoint(run: RunDir, approach, log) -> tuple[int, list | None]:
    """Resume from the newest portable checkpoint: (step, EMA values in variable order or None)."""
    from training import portable_checkpoint

    latest = portable_checkpoint.latest(run.checkpoints)
    if latest is None:
        return 0, None
    g = approach.generator
    try:
        ema_weights = portable_checkpoint.load_weights_arrays(g, portable_checkpoint.weights_file(latest, "generator_ema"))
        step = portable_checkpoint.restore(latest, {"generator": g, "discriminator": approach.discriminator},
                                           {"generator_optimizer": approach.g_opt,
                                            "discriminator_optimizer": approach.d_opt})
    except ValueError as exc:
        raise TrainingError(f"cannot resume from {latest}: {exc}") from None
    ema = _in_variable_order(g, ema_weights, [*g.trainable_variables, *g.non_trainable_variables])
    log(f"resumed from {latest} at step {step}")
    return step, ema


def final_generator(approach, state, cfg: dict[str, Any]):
    """The generator to save: its EMA weights when --ema is on."""
    write_back(approach, state)
    g = approach.generator
    if cfg.get("ema", 0.0) > 0:
        for w, value in zip(g.weights, ema_as_weights(approach, state[6]), strict=True):
            w.assign(value)
    return g


def seed_without_tensorflow(seed: int) -> None:
    """keras.utils.set_random_seed, minus its import of TensorFlow when that is installed (seconds of
    start-up and C++ log lines for a run that never uses it): Python, NumPy and Keras' global seed."""
    import random

    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:  # another Keras layout: the public call, TensorFlow and all
        import keras

        keras.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)


class ScalarLog:
    """Loss curves as RUN/logs/scalars.csv (TensorBoard's writer needs TensorFlow)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fields: list[str] | None = None

    def write(self, step: int, values: dict[str, float]) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["step", *values])
            writer.writerow([step, *(f"{v:.6g}" for v in values.values())])


def fit_jax(approach_cls, cfg: dict[str, Any], log=print) -> Path:
    """Train an approach on the JAX backend; returns the run directory."""
    import keras

    if keras.backend.backend() != "jax":
        raise TrainingError(f"Keras runs on {keras.backend.backend()}; set KERAS_BACKEND=jax before Python "
                            "imports Keras (python -m training ... --backend jax does)")
    check_supported(cfg)
    run = RunDir(cfg["run_dir"])
    if cfg["batch_size"] < 1:
        raise TrainingError("--batch-size must be at least 1")
    sources, loader = prepare_data(cfg, log, synthesize=False)  # the pool draws sketches per sample
    with RunLock(run.path, log):  # one run per folder, until this process ends
        run.prepare(cfg, resume=not cfg["no_resume"])
        return _fit_locked(approach_cls, cfg, run, sources, loader, log)


def _fit_locked(approach_cls, cfg: dict[str, Any], run: RunDir, sources, loader, log) -> Path:
    from training.approach import augment_config
    from training.data import sampling_weights
    from training.sample_pool import SamplePool, SampleSpec

    seed_without_tensorflow(cfg["seed"])

    weights = None
    if cfg.get("data_weights"):
        weights = tuple(float(w) for w in sampling_weights(sources, cfg["data"], cfg["data_weights"]))
        log("data shares: " + ", ".join(f"{Path(f).name} {w / sum(cfg['data_weights']):.0%}"
                                        for f, w in zip(cfg["data"], cfg["data_weights"], strict=True)))
    spec = SampleSpec(cfg["image_size"], augment_config(cfg), cfg.get("sketch_style", "xdog"), hint_config(cfg),
                      page_size=cfg.get("page_size"), weights=weights,
                      hint_region=hint_region_weight(cfg) > 0, held_sources=held_to_start(sources, cfg))
    with SamplePool(sources, loader, spec, size=cfg.get("pool_size") or 64 * cfg["batch_size"], workers=cfg.get("workers"),
                    seed=cfg["seed"], log=log) as pool:
        return _train(approach_cls, cfg, run, pool, len(sources), log)


def _train(approach_cls, cfg, run: RunDir, pool, n_sources: int, log) -> Path:
    import jax
    import keras

    log(f"backend: JAX {jax.__version__} on {', '.join(str(d) for d in jax.devices())}")
    approach = approach_cls(cfg, None)
    approach.build()
    log(f"generator: {approach.generator.count_params() / 1e6:.2f} M parameters; checkpoints in {run.checkpoints}")
    start, ema = restore_checkpoint(run, approach, log)
    if start == 0 and cfg.get("init_from"):
        from training.warm_start import warm_start

        networks = {"generator": approach.generator, "discriminator": approach.discriminator}
        cfg["initialised_from"] = warm_start(approach_cls, cfg, networks, None, log)
        write_json_atomic(run.config_path, cfg)
    anchor = start_weights(run, approach, cfg, fresh=start == 0)
    state = initial_state(approach, ema)  # after the warm start: the moving average starts from its weights
    step_fn = make_step(approach, cfg)

    steps_per_epoch = max(1, n_sources // cfg["batch_size"])
    total_steps = cfg["max_steps"] or cfg["epochs"] * steps_per_epoch
    deadline = time.monotonic() + 60.0 * cfg["max_minutes"] if cfg.get("max_minutes") else math.inf
    scalars = ScalarLog(run.logs / "scalars.csv")
    rng = np.random.default_rng([cfg["seed"], start])
    s = start
    if s >= total_steps:
        log(f"already trained {s} of {total_steps} steps")
    bar = keras.utils.Progbar(max(1, total_steps - start), stateful_metrics=["img/s", "reuse"])
    seen, t_window, compiled, t_compile = 0, None, False, time.perf_counter()
    with StopRequested() as stop:
        while s < total_steps and not stop.flag and time.monotonic() < deadline:
            state, losses = step_fn(state, pool.batch(rng, cfg["batch_size"]), anchor)
            s += 1
            if not compiled:  # the first step compiles: keep it out of the speed figure
                jax.block_until_ready(losses)
                compiled, t_window, seen = True, time.perf_counter(), 0
                log(f"\ncompiled and ran the first step in {t_window - t_compile:.1f} s")
                continue
            seen += cfg["batch_size"]
            if s % cfg["log_every"] == 0 or s == total_steps:
                values = {k: float(v) for k, v in losses.items()}
                now = time.perf_counter()
                rate = seen / max(now - t_window, 1e-9)
                seen, t_window = 0, now
                scalars.write(s, {**values, "images_per_second": rate, "pool_reuse": pool.reuse})
                bar.update(s - start, values=[*values.items(), ("img/s", rate), ("reuse", pool.reuse)])
            if s % cfg["checkpoint_every"] == 0:
                save_checkpoint(run, approach, state, s, cfg["keep_checkpoints"])
    from training import portable_checkpoint

    latest = portable_checkpoint.latest(run.checkpoints)
    if latest is None or latest.name != f"ckpt-{s}":
        save_checkpoint(run, approach, state, s, cfg["keep_checkpoints"])
    generator = final_generator(approach, state, cfg)
    run.save_model(generator, "generator.keras")
    state_name = "finished" if s >= total_steps else "stopped"
    write_json_atomic(run.path / "state.json", {"steps": s, "total_steps": total_steps, "state": state_name,
                                                "backend": "jax", "device": str(jax.devices()[0]),
                                                "time": time.strftime("%Y-%m-%d %H:%M:%S")})
    log(f"{state_name} at step {s}/{total_steps}; models and checkpoints in {run.path}")
    return run.path
