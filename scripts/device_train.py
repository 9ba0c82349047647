#!/usr/bin/env python3
"""One-shot GPU training on a lent machine that has JAX and CUDA but no TensorFlow and no network.

Three steps, the middle one on the GPU machine (docs/gpu-training.md tells the whole story):

  python scripts/device_train.py pack            # here: data (real line art included) + Keras wheels into
                                                 # .device/ (<= ~56 MiB)
  python3 scripts/device_train.py remote --out $OUT   # there: train the plan's models with --backend jax
  python scripts/device_train.py unpack FOLDER   # here: the returned files -> runs/<name>/ for export

``--plan finetune`` (pack, remote and dry-run alike) fine-tunes the shipped default model instead of
training two from scratch: run R's recipe (docs/models.md) at the GPU's batch; its start travels as fp16
weights, and the real pairs it trains on leave out the validation pages that choose among runs.

``dry-run`` does all three here on the CPU with tiny settings (about a minute), through the same code.
``remote`` first runs a 3-step smoke training so a broken environment fails in seconds, not minutes;
each run stops itself after ``--minutes`` (checkpoint and final model saved), and a run that hangs is
sent SIGTERM (which also saves) before the command's time limit. What comes back (at most 8 files of
at most 16 MiB): each generator.keras split into parts, and each run's config, state, loss curve and log.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the training package, here and there (only imported where used)
DEVICE_DIR = REPO / ".device"
PART_BYTES = 15 * 2**20
# Wheels the GPU machine lacks (it has numpy, h5py, ml-dtypes, absl-py, rich, packaging, opencv, jax).
WHEELS = ("keras==3.15.1", "namex==0.1.0", "optree==0.17.0")
DATASETS = {  # name under .device/data -> folder under ../shared/data
    "faces": "anime-faces",
    "fullbody": "anime-fullbody",
    "scenes": "anime-scenes",
    "real": "sketch-pairs-real",  # real line art with its colouring (kaggle layout: colour | sketch); train/ only
}
PAGED = {"real"}  # pairs that bring their own sketch: packed as the app sees a page, cropped at that scale
PAGE_SIZE = 512  # the default model's working size (assets/models/manifest.json)
# Share of the samples from each set (--data-weights): the synthesized sets as session 6 mixed them
# (faces 1,200 x 1 : full body 187 x 6 : scenes 94 x 5), three quarters of the whole; the real pairs
# the last quarter (issue 29).
SHARES = {"faces": 0.32, "fullbody": 0.30, "scenes": 0.13, "real": 0.25}

# The networks: the shipped models' architecture (ngf 32, 7 levels, resize-conv decoder, reflect
# padding: the app's inference cost stays as it is), trained on 256 px crops with realistic sketches.
COMMON = ["--backend", "jax", "--image-size", "256", "--depth", "7", "--ngf", "32", "--ndf", "32",
          "--upsample", "resize", "--padding", "reflect", "--load-size", "384", "--max-zoom", "1.6",
          # Half the samples whole figures on paper, up to the scale of a page the app shrinks to its
          # working size (384 px): session 6's run (0.35, 0.45-1.5) lost on whole full-body pages.
          "--paper-prob", "0.5", "--paper-scale", "0.6", "1.6", "--sketch-style", "mixed",
          "--page-size", str(PAGE_SIZE), "--batch-size", "32", "--tv-loss", "l1", "--lr", "2e-4", "--d-lr", "2e-4", "--max-steps", "1000000",
          "--checkpoint-every", "1000", "--keep-checkpoints", "2", "--log-every", "100", "--ema", "0.999"]
PLAN = {
    "gpu-p2p-tv": [],
    # hints placed in parts in their part's median colour, and an L1 over each hinted part (issue 29)
    "gpu-p2p-hints": ["--hints", "--hint-placement", "parts", "--lambda-hint-region", "50"],
}

# The fine-tune of the shipped default model at the GPU's batch: run Y's recipe (docs/models.md,
# "`pix2pix-tv` since session 16"; 1,700 steps at batch 4 on the CPU) with its flags and shares: the
# batch norms frozen, L2-SP toward the start, the scenes' drawn sketches held to the start's colourings,
# the L1 as the distance CIEDE2000 measures, a small GAN weight. --init-from and --start-outputs-data
# are added where the folders are known.
FINETUNE = {"gpu-p2p-tv-ft": ["--freeze-norm", "--lambda-start-penalty", "10", "--lambda-start-outputs", "370",
                              "--l1-space", "lab-distance", "--lambda-l1", "370",
                              "--lr", "5e-5", "--d-lr", "1e-4", "--lambda-gan", "0.05"]}
FINETUNE_SHARES = {"faces": 0.45, "fullbody": 0.15, "scenes": 0.15, "real": 0.25}
FINETUNE_HELD = "scenes"  # the set whose drawn sketches learn the start's colourings
FINETUNE_FACES = 700  # fewer faces than a run from scratch packs: the start's 14 MiB must fit the 64 MiB
PLANS = {"scratch": (PLAN, SHARES), "finetune": (FINETUNE, FINETUNE_SHARES)}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------- pack (here)

def _encode_jpeg(src: Path, dst: Path, short_side: int, quality: int, paged: bool = False) -> None:
    """One image as JPEG: shorter side at most ``short_side``; a ``paged`` pair (colour | sketch side by
    side) with each half's longer side at most PAGE_SIZE, as the app runs a page."""
    import cv2
    import numpy as np

    from training.data import fit_long_side, read_rgb, resize_short_side

    rgb = read_rgb(src)
    if rgb is None:
        return
    if paged:
        half = rgb.shape[1] // 2
        rgb = np.concatenate([fit_long_side(rgb[:, :half], PAGE_SIZE), fit_long_side(rgb[:, half:2 * half], PAGE_SIZE)], 1)
    else:
        rgb = resize_short_side(rgb, short_side)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if ok:
        dst.parent.mkdir(parents=True, exist_ok=True)
        np.asarray(buf).tofile(str(dst))


def pack(out: Path, shared: Path, faces: int, short_side: int, quality: int, wheels: bool,
         start: Path | None = None) -> None:
    """The data (and the wheels) into ``out``; with ``start`` (a run folder: a fine-tune's start) also
    that generator, and the real pairs without the validation pages that choose among fine-tunes."""
    from concurrent.futures import ThreadPoolExecutor

    from training.real_validation import held_out

    if out.exists():
        shutil.rmtree(out)
    jobs = []
    for name, folder in DATASETS.items():
        images = sorted((shared / folder / "train").iterdir())
        if name == "faces":
            images = images[:faces]
        if name == "real" and start is not None:
            val = held_out([p.name for p in images])
            images = [p for p in images if p.name not in val]
        jobs += [(p, out / "data" / name / "train" / (p.stem + ".jpg"), name in PAGED) for p in images
                 if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")]
    with ThreadPoolExecutor(4) as pool:  # real line art keeps quality 95: JPEG smears thin grey lines
        list(pool.map(lambda job: _encode_jpeg(job[0], job[1], short_side, max(quality, 95) if job[2] else quality,
                                               job[2]), jobs))
    if wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.12", "--implementation", "cp",
                        *[a for tag in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                                        "any") for a in ("--platform", tag)],
                        "-d", str(out / "wheels"), *WHEELS], check=True)
    if start is not None:
        pack_start(start, out / "start")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    counts = {n: len(list((out / "data" / n / "train").glob("*.jpg"))) for n in DATASETS}
    log(f"packed {out}: {size / 2**20:.1f} MiB ({counts})")


def pack_start(run: Path, out: Path) -> None:
    """A fine-tune's start (a run folder's generator) as fp16 weights and its config: half the bytes of a
    .keras file, which the 64 MiB that travel cannot spare. Logs how far the rounding moves its colours."""
    import numpy as np

    from training.model_loading import generator_from_config, load_run_generator, read_config
    from training.run_config import write_json_atomic

    model, cfg = load_run_generator(run), read_config(run)
    weights = [np.asarray(w).astype(np.float16) for w in model.get_weights()]
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "weights.npz", *weights)
    write_json_atomic(out / "config.json", cfg)
    rounded = generator_from_config(cfg)
    rounded.set_weights([w.astype(np.float32) for w in weights])
    x = np.random.default_rng(0).uniform(-1, 1, (1, 128, 128, rounded.input_shape[-1])).astype(np.float32)
    diff = float(np.abs(np.asarray(model(x, training=False)) - np.asarray(rounded(x, training=False))).max())
    log(f"packed the start {run} as fp16 weights ({(out / 'weights.npz').stat().st_size / 2**20:.1f} MiB; "
        f"max colour change {diff:.1e} of the range 2)")


def restore_start(packed: Path, run: Path) -> None:
    """(on the GPU machine) The packed start as a run folder that --init-from reads."""
    import numpy as np

    from training.model_loading import generator_from_config, read_config
    from training.run_config import RunDir, write_json_atomic

    cfg, start = read_config(packed), RunDir(run)
    model = generator_from_config(cfg)
    with np.load(packed / "weights.npz") as stored:
        model.set_weights([stored[f"arr_{i}"].astype(np.float32) for i in range(len(stored.files))])
    run.mkdir(parents=True, exist_ok=True)
    write_json_atomic(start.config_path, cfg)
    start.save_model(model, "generator.keras")
    log(f"restored the start as {run / 'generator.keras'}")


# ----------------------------------------------------------------------------- remote (the GPU machine)

def _data_args(data: Path, shares: dict[str, float]) -> list[str]:
    """--data and --data-weights for the packed sets (a set that was not packed is left out)."""
    names = [n for n in shares if (data / n / "train").is_dir()]
    return ["--data", *[str(data / n) for n in names], "--data-weights", *[str(shares[n]) for n in names]]


def _run(cmd: list[str], env: dict, logfile: Path) -> subprocess.Popen:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    sink = logfile.open("wb")
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def _split(path: Path, out: Path, stem: str) -> list[str]:
    data = path.read_bytes()
    names = []
    for i in range(0, len(data), PART_BYTES):
        name = f"{stem}.keras.part{i // PART_BYTES}"
        (out / name).write_bytes(data[i:i + PART_BYTES])
        names.append(name)
    return names


def remote(out: Path, minutes: float, device_dir: Path, runs_dir: Path, extra: list[str],
           weights: dict[str, float], workers: int, install: bool, smoke: bool, plan: dict,
           slack_s: float = 75.0) -> int:
    """Train the plan's runs side by side; a plan of fine-tunes (``device_dir/start`` was packed) starts
    each from that generator."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           # two runs share the GPU: neither may take the default 75 % of its memory
           "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / max(1, len(plan)):.2f}"}
    if install:
        site = Path("/tmp/ganime-site")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                        "--upgrade", "--target", str(site), *map(str, sorted((device_dir / "wheels").glob("*.whl")))],
                       check=True)
        env["PYTHONPATH"] = f"{site}{os.pathsep}{REPO}"
    else:
        env["PYTHONPATH"] = str(REPO)
    try:
        info = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info = "no nvidia-smi"
    log(f"python {sys.version.split()[0]}, GPU: {info or 'none'}")
    data = device_dir / "data"
    if smoke:
        smoke_log = runs_dir / "smoke.log"
        proc = _run([sys.executable, "-m", "training", "pix2pix", "--backend", "jax", "--data", str(data / "faces"),
                     "--limit", "16", "--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size", "4",
                     "--max-steps", "3", "--workers", "2", "--pool-size", "32", "--sketch-style", "mixed", "--hints",
                     "--checkpoint-every", "2", "--run-dir", str(runs_dir / "smoke")], env, smoke_log)
        if proc.wait(timeout=300) != 0:
            log("smoke training failed:\n" + _tail(smoke_log))
            shutil.copy(smoke_log, out / "smoke.log")
            return 3
        log("smoke training ok")
    start_args = []
    if plan is FINETUNE:
        if not (device_dir / "start").is_dir():
            log(f"{device_dir / 'start'}: no start packed; pack with --plan finetune")
            return 2
        start_log = runs_dir / "start.log"
        proc = _run([sys.executable, str(Path(__file__).resolve()), "restore-start", str(device_dir / "start"),
                     str(runs_dir / "start")], env, start_log)
        if proc.wait(timeout=300) != 0:
            log("restoring the start failed:\n" + _tail(start_log))
            return 3
        start_args = ["--init-from", str(runs_dir / "start"), "--start-outputs-data", str(data / FINETUNE_HELD)]
    procs = {}
    for name, args in plan.items():
        cmd = [sys.executable, "-m", "training", "pix2pix", *COMMON, *_data_args(data, weights), *args, *start_args,
               *extra,
               "--workers", str(workers), "--max-minutes", str(minutes), "--run-dir", str(runs_dir / name)]
        procs[name] = _run(cmd, env, runs_dir / f"{name}.log")
        log(f"started {name}: {' '.join(cmd[2:])}")
    deadline = time.monotonic() + minutes * 60 + slack_s  # start-up and the final save (compiling is inside --minutes)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} overran: SIGTERM (it saves a checkpoint and its model)")
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log(f"{name} exited with {proc.returncode}:\n{_tail(runs_dir / f'{name}.log', 1200)}")
    code = 0
    for name in plan:
        run = runs_dir / name
        model = run / "generator.keras"
        if not model.is_file():
            code = 4
            continue
        manifest = {"parts": _split(model, out, name), "sha256": hashlib.sha256(model.read_bytes()).hexdigest()}
        (run / "parts.json").write_text(json.dumps(manifest))
        with tarfile.open(out / f"{name}-meta.tar.gz", "w:gz") as tar:
            for f in ("config.json", "state.json", "parts.json", "logs/scalars.csv"):
                if (run / f).is_file():
                    tar.add(run / f, arcname=f)
            tar.add(runs_dir / f"{name}.log", arcname="train.log")
    log(f"returned: {sorted(p.name for p in out.iterdir())}")
    return code


# ----------------------------------------------------------------------------- unpack (here)

def unpack(folder: Path, runs_dir: Path, shared: Path) -> list[Path]:
    done = []
    for meta in sorted(folder.glob("*-meta.tar.gz")):
        name = meta.name[: -len("-meta.tar.gz")]
        run = runs_dir / name
        run.mkdir(parents=True, exist_ok=True)
        with tarfile.open(meta) as tar:
            tar.extractall(run, filter="data")
        (run / "logs").mkdir(exist_ok=True)
        if (run / "scalars.csv").exists():
            os.replace(run / "scalars.csv", run / "logs" / "scalars.csv")
        parts = json.loads((run / "parts.json").read_text())
        blob = b"".join((folder / p).read_bytes() for p in parts["parts"])
        if hashlib.sha256(blob).hexdigest() != parts["sha256"]:
            raise SystemExit(f"{name}: the returned parts do not add up to the trained model (sha256 differs)")
        tmp = run / ".generator.keras.tmp"
        tmp.write_bytes(blob)
        os.replace(tmp, run / "generator.keras")
        _relocate_data(run / "config.json", shared)
        log(f"unpacked {run}: generator.keras {len(blob) / 2**20:.1f} MiB")
        done.append(run)
    if not done:
        raise SystemExit(f"{folder}: no *-meta.tar.gz returned by a remote run")
    return done


def _relocate_data(config_path: Path, shared: Path) -> None:
    """The run trained on .device/data/<name>; here the same images are in ../shared/data/<folder>,
    so evaluation and export's parity sketches read them there (the original path is kept)."""
    cfg = json.loads(config_path.read_text())
    mapped = []
    for path in cfg.get("data", []):
        name = Path(path).name
        mapped.append(str(shared / DATASETS[name]) if name in DATASETS else path)
    cfg["device_data"] = cfg.get("data")
    cfg["data"] = mapped
    cfg["data_dir"] = mapped[0] if mapped else cfg.get("data_dir")
    config_path.write_text(json.dumps(cfg, indent=2) + "\n")


# ----------------------------------------------------------------------------- dry run (here, CPU)

def _tiny_start(run: Path) -> Path:
    """A small untrained generator with the dry run's networks, standing in for the shipped model."""
    from training.model_loading import generator_from_config
    from training.run_config import RunDir

    cfg = {"approach": "pix2pix", "image_size": 64, "depth": 6, "ngf": 8, "ndf": 8, "upsample": "resize",
           "padding": "reflect", "norm": "batch", "hints": False}
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(cfg))
    RunDir(run).save_model(generator_from_config(cfg), "generator.keras")
    return run


def dry_run(shared: Path, keep: Path | None, plan_name: str = "scratch") -> int:
    import tempfile

    work = Path(keep or tempfile.mkdtemp(prefix="ganime-device-dry-"))
    device_dir, out, runs = work / "device", work / "out", work / "remote-runs"
    plan, _ = PLANS[plan_name]
    start = _tiny_start(work / "tiny-start") if plan is FINETUNE else None
    pack(device_dir, shared, faces=24, short_side=128, quality=90, wheels=False, start=start)
    tiny = ["--image-size", "64", "--depth", "6", "--ngf", "8", "--ndf", "8", "--batch-size", "4",
            "--pool-size", "64", "--checkpoint-every", "5", "--log-every", "5", "--load-size", "96"]
    code = remote(out, minutes=0.4, device_dir=device_dir, runs_dir=runs, extra=tiny,
                  weights={"faces": 1, "fullbody": 1, "scenes": 1, "real": 1}, workers=1, install=False, smoke=False,
                  plan=plan, slack_s=600.0)  # two CPU compilations side by side on 2 busy cores
    if code:
        return code
    for path in out.iterdir():
        assert path.stat().st_size <= 16 * 2**20, path
    assert len(list(out.iterdir())) <= 8, sorted(out.iterdir())
    unpacked = unpack(out, work / "runs", shared)
    log(f"dry run complete: {', '.join(map(str, unpacked))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--plan", choices=sorted(PLANS), default="scratch")
    p.add_argument("--start", type=Path, default=None, help="--plan finetune: the run folder to fine-tune (make "
                   "one from the shipped default with: python -m training from-onnx --data ../shared/data/anime-faces "
                   "--run-dir runs/shipped-start)")
    p.add_argument("--faces", type=int, default=None, help=f"faces to pack (default: 1200; {FINETUNE_FACES} "
                   "for a fine-tune, whose start takes the room)")
    p.add_argument("--short-side", type=int, default=384)
    p.add_argument("--quality", type=int, default=90)
    p = sub.add_parser("remote")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "out")))
    p.add_argument("--minutes", type=float, default=7.5, help="training time of each run (default: %(default)s; "
                   "with start-up and the smoke run the command takes about 1.5 min more)")
    p.add_argument("--workers", type=int, default=7)
    p.add_argument("--no-smoke", action="store_true", help="skip the 3-step smoke run (a machine already proven)")
    p.add_argument("--plan", choices=sorted(PLANS), default="scratch")
    p = sub.add_parser("unpack")
    p.add_argument("folder", type=Path)
    p.add_argument("--runs-dir", type=Path, default=REPO / "runs")
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    p = sub.add_parser("dry-run")
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temporary one)")
    p.add_argument("--plan", choices=sorted(PLANS), default="scratch")
    p = sub.add_parser("restore-start")  # remote's own step, in the environment it trains in
    p.add_argument("packed", type=Path)
    p.add_argument("run", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "pack":
        finetune = args.plan == "finetune"
        if finetune != (args.start is not None):  # a start alone would travel for nothing
            parser.error("--plan finetune and --start RUN (the run folder to fine-tune) go together")
        faces = args.faces or (FINETUNE_FACES if finetune else 1200)
        pack(DEVICE_DIR, args.shared, faces, args.short_side, args.quality, wheels=True, start=args.start)
        return 0
    if args.cmd == "remote":
        plan, shares = PLANS[args.plan]
        return remote(args.out, args.minutes, DEVICE_DIR, Path("/tmp/ganime-runs"), [],
                      weights=shares, workers=args.workers, install=True,
                      smoke=not args.no_smoke, plan=plan)
    if args.cmd == "unpack":
        unpack(args.folder, args.runs_dir, args.shared)
        return 0
    if args.cmd == "restore-start":
        restore_start(args.packed, args.run)
        return 0
    return dry_run(args.shared, args.keep, args.plan)


if __name__ == "__main__":
    sys.exit(main())
