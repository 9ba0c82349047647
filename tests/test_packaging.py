"""The Linux installers around the bundle (scripts/package_linux.sh, docs/packaging.md) as a user
meets them: build the packages from the session's bundle once; install the .deb with dpkg, run
``ganime --selftest`` and ``ganime colorize`` from the PATH, add the CUDA add-on package, remove both
and find nothing left; install the per-user archive into a temporary HOME, run its self-test, add
the CUDA archive, uninstall and find HOME as it was; validate the menu entries; check that the
declared dependencies cover every system library the bundle links to; and the CPU package's size.

Slow (one bundle build per session, ~1 min of packaging). The .deb install needs root and dpkg;
without apt (not Debian/Ubuntu) these tests skip, and where apt is there a missing tool fails with
the command that installs it (scripts/setup_system.sh, which scripts/test.sh runs).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from ganime_desktop.core.imageio import read_image
from ganime_desktop.version import app_version

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("packaging_elf", REPO / "packaging" / "elf.py")
elf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(elf)  # the DT_NEEDED reader build.spec uses too
_spec = importlib.util.spec_from_file_location("packaging_cuda_models", REPO / "packaging" / "cuda_models.py")
cuda_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cuda_models)  # which model files go with the CUDA add-on (package_linux.sh uses it)
SAMPLE = REPO / "assets" / "samples" / "sketch_bust.png"
DEB_DEPENDS = REPO / "packaging" / "linux" / "deb-depends"
APP_DIR = Path("/opt/ganime-studio")
GPU_LIBS = ("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so")
CAPI = Path("_internal/onnxruntime/capi")
CPU_PACKAGE_BUDGET_BYTES = 350_000_000  # issue 18: the CPU package, installed (its download is smaller)
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
XCB_DEPENDS = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1")  # Qt's xcb plugin; a bare system lacks them
MIME_TYPES = {"image/png", "image/jpeg", "image/webp", "image/tiff"}
# Qt plugins the app can do without (GTK theme, framebuffer/KMS platforms; build.spec leaves them out
# on Linux): their system libraries need not be declared.
OPTIONAL_LIBRARY_USERS = ("PySide6/Qt/plugins/platformthemes/", "PySide6/Qt/plugins/egldeviceintegrations/",
                          "PySide6/Qt/plugins/platforms/libqeglfs", "PySide6/Qt/plugins/platforms/libqlinuxfb",
                          "PySide6/Qt/plugins/platforms/libqminimalegl", "libQt6EglFs")
LIBC6_SONAMES = ("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2",
                 "ld-linux-x86-64.so.2", "libutil.so.1")


def need(tool: str, package: str) -> None:
    """Skip where apt cannot install the tool; fail where it could have (setup_system.sh was not run)."""
    if shutil.which(tool):
        return
    if shutil.which("apt-get") is None:
        pytest.skip(f"{tool} is missing and this is no apt system to install {package} on")
    pytest.fail(f"{tool} is missing: run scripts/setup_system.sh (it installs {package})")


def run(*args: str | Path, env: dict | None = None, timeout: float = 300, check: bool = True,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"{' '.join(map(str, args))} -> {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def user_env(home: Path, path: str = "/usr/bin:/bin") -> dict:
    """A user's session: a fresh HOME, the system PATH, offscreen Qt, none of the test's GANIME_/XDG_ settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GANIME_", "XDG_", "PYTHON", "VIRTUAL_ENV", "LD_", "ORT_"))}
    env.update(HOME=str(home), PATH=path, QT_QPA_PLATFORM="offscreen")
    home.mkdir(parents=True, exist_ok=True)
    return env


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def packages(bundle, tmp_path_factory):
    """The four Linux packages of the session's bundle, in a temporary folder (removed afterwards)."""
    need("dpkg-deb", "dpkg")
    out = tmp_path_factory.mktemp("packages")
    env = {**os.environ, "GANIME_BUNDLE_DIR": str(bundle), "GANIME_PACKAGES_DIR": str(out)}
    done = run("bash", REPO / "scripts" / "package_linux.sh", env=env, timeout=900, cwd=REPO)
    print(done.stdout)
    v = app_version()
    found = {
        "deb": out / f"ganime-studio_{v}_amd64.deb",
        "cuda_deb": out / f"ganime-studio-cuda_{v}_amd64.deb",
        "tar": out / f"ganime-studio-{v}-linux-x86_64.tar.gz",
        "cuda_tar": out / f"ganime-studio-cuda-{v}-linux-x86_64.tar.gz",
    }
    missing = [p.name for p in found.values() if not p.is_file()]
    assert not missing, f"package_linux.sh did not make {missing}:\n{done.stdout}"
    yield found
    shutil.rmtree(out, ignore_errors=True)  # ~750 MB


def deb_field(deb: Path, field: str) -> str:
    return run("dpkg-deb", "-f", deb, field).stdout.strip()


def deb_paths(deb: Path) -> list[str]:
    """Every file and link the package installs, as absolute paths."""
    paths = []
    for line in run("dpkg-deb", "-c", deb).stdout.splitlines():
        mode, _owner, _size, _date, _time, name = line.split(maxsplit=5)
        if mode.startswith("d"):
            continue
        if mode.startswith("l"):
            name = name.split(" -> ")[0]
        paths.append(name.removeprefix("."))
    return paths


@pytest.fixture(scope="module")
def cuda_only(bundle) -> list[Path]:
    """The bundle's float model files that only CUDA runs (their generators have an int8 file), relative
    to the app folder: the CUDA add-on carries them, the CPU packages do not."""
    return [Path(p) for p in cuda_models.cuda_only_models(bundle)]


def test_packages_are_named_versioned_and_small_enough(packages, cuda_only):
    v = app_version()
    deb, cuda_deb = packages["deb"], packages["cuda_deb"]
    assert deb_field(deb, "Package") == "ganime-studio" and deb_field(deb, "Version") == v
    assert deb_field(cuda_deb, "Package") == "ganime-studio-cuda"
    assert deb_field(cuda_deb, "Depends") == f"ganime-studio (= {v})"
    depends = [d.strip() for d in deb_field(deb, "Depends").split(",")]
    assert any(d.startswith("libc6 (>= 2.") for d in depends), depends
    for name in XCB_DEPENDS:
        assert name in depends, depends

    paths = deb_paths(deb)
    assert not [p for p in paths if Path(p).name in GPU_LIBS], "the CPU package carries the CUDA provider"
    assert f"{APP_DIR}/ganime" in paths and "/usr/bin/ganime" in paths
    assert "/usr/share/applications/ganime-studio.desktop" in paths
    for size in ICON_SIZES:
        assert f"/usr/share/icons/hicolor/{size}x{size}/apps/ganime-studio.png" in paths
    assert "/usr/share/icons/hicolor/scalable/apps/ganime-studio.svg" in paths
    assert f"{APP_DIR}/_internal/assets/models/manifest.json" in paths
    assert not [p for p in cuda_only if f"{APP_DIR}/{p}" in paths], "the CPU package carries the CUDA-only models"
    assert [p for p in paths if p.endswith(".cpu-int8.onnx")], "the CPU package lacks the int8 models"
    in_addon = sorted(p for p in deb_paths(cuda_deb) if p.startswith(str(APP_DIR)))
    assert in_addon == sorted([f"{APP_DIR}/{CAPI / lib}" for lib in GPU_LIBS] + [f"{APP_DIR}/{p}" for p in cuda_only])

    installed = int(deb_field(deb, "Installed-Size")) * 1024
    sizes = {name: path.stat().st_size for name, path in packages.items()}
    print(f"CPU .deb {sizes['deb'] / 1e6:.1f} MB (installed {installed / 1e6:.1f} MB), CUDA .deb "
          f"{sizes['cuda_deb'] / 1e6:.1f} MB, archives {sizes['tar'] / 1e6:.1f} + {sizes['cuda_tar'] / 1e6:.1f} MB")
    assert installed <= CPU_PACKAGE_BUDGET_BYTES, (
        f"the CPU package installs {installed / 1e6:.1f} MB, over {CPU_PACKAGE_BUDGET_BYTES / 1e6:.0f} MB")
    assert sizes["deb"] <= CPU_PACKAGE_BUDGET_BYTES and sizes["tar"] <= CPU_PACKAGE_BUDGET_BYTES


def test_menu_entries_validate(packages, tmp_path):
    need("desktop-file-validate", "desktop-file-utils")
    entry = run("sh", "-c", f"dpkg-deb --fsys-tarfile '{packages['deb']}' | tar -xOf - ./usr/share/applications/ganime-studio.desktop").stdout
    (tmp_path / "ganime-studio.desktop").write_text(entry)
    run("desktop-file-validate", tmp_path / "ganime-studio.desktop")
    fields = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line and not line.startswith("#"))
    assert fields["Exec"] == f"{APP_DIR}/ganime %f" and fields["Icon"] == "ganime-studio"
    assert set(fields["MimeType"].strip(";").split(";")) == MIME_TYPES


# --- the .deb -----------------------------------------------------------------------------------
def _dpkg_installed(name: str) -> bool:
    done = run("dpkg-query", "-W", "-f=${Status}", name, check=False)
    return done.returncode == 0 and "install ok installed" in done.stdout


def test_deb_installs_runs_from_the_path_and_removes_cleanly(packages, cuda_only, tmp_path):
    need("dpkg", "dpkg")
    if os.geteuid() != 0:
        pytest.skip("dpkg -i needs root")
    for name in ("ganime-studio-cuda", "ganime-studio"):  # a leftover of an interrupted run
        if _dpkg_installed(name):
            run("dpkg", "-r", name)
    home = tmp_path / "home"
    env = user_env(home)
    v = app_version()
    try:
        done = run("dpkg", "-i", packages["deb"], timeout=600, check=False)
        assert done.returncode == 0, f"dpkg -i failed (missing dependencies? run scripts/setup_system.sh):\n{done.stderr}"
        assert shutil.which("ganime", path=env["PATH"]) == "/usr/bin/ganime"
        assert run("ganime", "--version", env=env).stdout.strip() == f"GANime Studio {v}"
        assert not (APP_DIR / CAPI / GPU_LIBS[0]).exists()
        assert cuda_only and not [p for p in cuda_only if (APP_DIR / p).exists()]

        selftest = run("ganime", "--selftest", env=env, cwd=home)
        assert f"frozen app in {APP_DIR}" in selftest.stdout and "self-test passed" in selftest.stdout, selftest.stdout
        # The models whose float file is in the add-on colour with their int8 file, and say so; the
        # device line points to the add-on.
        assert selftest.stdout.count("(int8), load") >= len(cuda_only), selftest.stdout
        assert selftest.stdout.count("note: colours on the CPU only") == len(cuda_only), selftest.stdout
        assert "the CUDA add-on is not installed" in selftest.stdout and f"ganime-studio-cuda_{v}_amd64.deb" in selftest.stdout
        assert "CPU-only bundle" not in selftest.stdout

        pages = tmp_path / "pages"
        pages.mkdir()
        shutil.copy(SAMPLE, pages / "page 1.png")
        colour = run("ganime", "colorize", pages, tmp_path / "out", "--format", "png", env=env, cwd=home)
        assert "1 coloured" in colour.stderr, colour.stderr
        [result] = (tmp_path / "out").glob("*.png")
        assert read_image(result).shape == read_image(SAMPLE).shape

        if shutil.which("xvfb-run"):  # a real X11 window: the declared xcb libraries suffice
            shot = tmp_path / "window.png"
            run("xvfb-run", "-a", "env", "QT_QPA_PLATFORM=xcb", "ganime", "--screenshot", shot, env=env, cwd=home)
            assert read_image(shot).shape[0] > 400
        elif shutil.which("apt-get"):
            pytest.fail("xvfb-run is missing: run scripts/setup_system.sh (it installs xvfb and xauth)")

        run("dpkg", "-i", packages["cuda_deb"], timeout=600)  # the add-on lands beside the app's onnxruntime
        for lib in GPU_LIBS:
            assert (APP_DIR / CAPI / lib).is_file()
        for model in cuda_only:
            assert (APP_DIR / model).is_file()
        again = run("ganime", "--selftest", env=env, cwd=home)  # no GPU here: still colours, on CPU
        assert "self-test passed" in again.stdout and "note:" not in again.stdout, again.stdout
        run("dpkg", "--verify", "ganime-studio", "ganime-studio-cuda")  # running the app changed none of its files
    finally:
        removed = run("dpkg", "-r", "ganime-studio-cuda", "ganime-studio", timeout=600, check=False)
    assert removed.returncode == 0, removed.stderr
    assert not _dpkg_installed("ganime-studio") and not _dpkg_installed("ganime-studio-cuda")
    left = [p for deb in (packages["deb"], packages["cuda_deb"]) for p in deb_paths(deb) if os.path.lexists(p)]
    assert not left, f"left after dpkg -r: {left[:10]}"
    assert not APP_DIR.exists() and not os.path.lexists("/usr/bin/ganime")
    assert not list(home.rglob("*")), f"the app wrote into the user's home: {sorted(home.rglob('*'))[:5]}"


# --- the per-user archives ----------------------------------------------------------------------
def _extract(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="tar")
    [top] = [p for p in into.iterdir() if p.is_dir()]
    return top


def test_user_install_runs_and_uninstalls_cleanly(packages, cuda_only, tmp_path):
    home = tmp_path / "home"
    env = user_env(home)
    (home / ".local" / "share" / "applications").mkdir(parents=True)  # a user with other menu entries
    (home / ".local" / "share" / "applications" / "other.desktop").write_text("[Desktop Entry]\n")
    before = tree(home)
    app = home / ".local" / "lib" / "ganime-studio"
    v = app_version()

    folder = _extract(packages["tar"], tmp_path / "download")
    assert folder.name == f"ganime-studio-{v}-linux-x86_64"
    done = run(folder / "install.sh", env=env, cwd=folder)
    assert f"Installed GANime Studio {v}" in done.stdout, done.stdout
    link = home / ".local" / "bin" / "ganime"
    assert link.is_symlink() and link.resolve() == app / "ganime"
    entry = home / ".local" / "share" / "applications" / "ganime-studio.desktop"
    assert f'Exec="{app}/ganime" %f' in entry.read_text()
    if shutil.which("desktop-file-validate"):
        run("desktop-file-validate", entry)
    for size in ICON_SIZES:
        assert (home / ".local" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ganime-studio.png").is_file()
    assert not (app / CAPI / GPU_LIBS[0]).exists()
    assert not [p for p in cuda_only if (app / p).exists()]

    selftest = run(link, "--selftest", env=env, cwd=home)
    assert f"frozen app in {app}" in selftest.stdout and "self-test passed" in selftest.stdout, selftest.stdout
    assert selftest.stdout.count("note: colours on the CPU only") == len(cuda_only), selftest.stdout

    # The CUDA add-on, added afterwards with its own script, and taken out again.
    cuda = _extract(packages["cuda_tar"], tmp_path / "cuda-download")
    added = [CAPI / lib for lib in GPU_LIBS] + cuda_only
    run(cuda / "install-cuda.sh", env=env, cwd=cuda)
    assert all((app / p).is_file() for p in added)
    run(cuda / "install-cuda.sh", "--remove", env=env, cwd=cuda)
    assert not [p for p in added if (app / p).exists()]
    assert (app / "_internal" / "assets" / "models" / "manifest.json").is_file()
    run(cuda / "install-cuda.sh", env=env, cwd=cuda)
    assert all((app / p).is_file() for p in added)

    done = run(app / "uninstall.sh", env=env, cwd=home)
    assert "Removed GANime Studio" in done.stdout
    assert tree(home) == before, f"left in HOME: {sorted(tree(home) - before)[:10]}"


def test_user_install_with_the_cuda_archive_extracted_beside(packages, cuda_only, tmp_path):
    """Both archives extracted into one folder merge; install.sh then installs the app with CUDA."""
    home = tmp_path / "home"
    env = user_env(home)
    before = tree(home)
    folder = _extract(packages["tar"], tmp_path / "download")
    assert _extract(packages["cuda_tar"], tmp_path / "download") == folder
    run(folder / "install.sh", env=env, cwd=folder)
    app = home / ".local" / "lib" / "ganime-studio"
    for lib in GPU_LIBS:
        assert (app / CAPI / lib).is_file()
    for model in cuda_only:
        assert (app / model).is_file()
    assert run(home / ".local" / "bin" / "ganime", "--version", env=env).stdout.strip() == f"GANime Studio {app_version()}"
    run(app / "uninstall.sh", "--purge", env=env, cwd=home)
    assert tree(home) == before, f"left in HOME: {sorted(tree(home) - before)[:10]}"


# --- declared dependencies ----------------------------------------------------------------------
def _system_library(soname: str) -> str | None:
    for line in run("ldconfig", "-p").stdout.splitlines():
        name, _, rest = line.strip().partition(" (")
        if name == soname and "x86-64" in rest:
            return rest.split("=> ")[-1].strip()
    return None


def _package_of(path: str) -> str | None:
    for candidate in (path, os.path.realpath(path), path.replace("/usr/lib/", "/lib/", 1)):
        done = run("dpkg", "-S", candidate, check=False)
        if done.returncode == 0:
            return done.stdout.split(":")[0].strip()
    return None


def test_declared_depends_cover_every_system_library(bundle):
    need("dpkg", "dpkg")
    declared = {line.split("#")[0].split()[0] for line in DEB_DEPENDS.read_text().splitlines()
                if line.split("#")[0].strip()}
    in_bundle = {p.name for p in bundle.rglob("*")}
    users: dict[str, set[str]] = {}
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.name in GPU_LIBS:
            continue  # the CUDA provider's libraries come from NVIDIA, not from packages
        rel = str(path.relative_to(bundle))
        for soname in elf.needed(path) or []:
            if soname not in in_bundle and soname not in LIBC6_SONAMES:
                users.setdefault(soname, set()).add(rel)
    problems = []
    for soname, who in sorted(users.items()):
        if all(any(marker in user for marker in OPTIONAL_LIBRARY_USERS) for user in who):
            continue
        system = _system_library(soname)
        package = _package_of(system) if system else None
        package = package.split(":")[0] if package else None
        if package not in declared:
            problems.append(f"{soname} ({'from ' + package if package else 'not on this system'}), needed by "
                            f"{sorted(who)[0]}")
    assert not problems, ("system libraries the bundle needs that packaging/linux/deb-depends does not declare:\n"
                          + "\n".join(problems))
