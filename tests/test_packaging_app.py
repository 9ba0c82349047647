"""What the installers need from the app and the repository, checked quickly (the installers
themselves: test_packaging.py, slow): one version from pyproject.toml in ``ganime --version`` and
the About box; the icon's PNGs rendered from its SVG and used by the window and the About box; the
CUDA add-on hint when an NVIDIA GPU has no CUDA provider; the menu-entry template; and the Windows
installer scripts, compiled by makensis against a stand-in payload."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel

from ganime_desktop.core import cuda_addon
from ganime_desktop.ui import about
from ganime_desktop.version import app_version, version_from_pyproject

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "assets" / "icons"
NSIS = REPO / "packaging" / "windows"


# --- version ------------------------------------------------------------------------------------
def test_version_comes_from_pyproject():
    text = (REPO / "pyproject.toml").read_text()
    assert app_version() == version_from_pyproject(text)
    assert app_version().count(".") >= 2
    assert version_from_pyproject('[project]\nname = "other"\nversion = "9.9.9"\n') is None
    assert version_from_pyproject('[project]\nname = "ganime-studio"\ndependencies = [\n  "x",\n]\n'
                                  'version = "1.2.3"\n[tool.x]\nversion = "4"\n') == "1.2.3"


def test_ganime_version_prints_it_without_qt():
    code = ("import sys; from ganime_desktop.cli import main; code = main(['--version']); "
            "assert 'PySide6' not in sys.modules and 'onnxruntime' not in sys.modules; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"GANime Studio {app_version()}"


# --- icon ---------------------------------------------------------------------------------------
def test_icon_pngs_are_rendered_from_the_svg():
    done = subprocess.run([sys.executable, str(ICONS / "render_icons.py"), "--check"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout + done.stderr
    from PIL import Image

    for size in about.ICON_SIZES:
        image = Image.open(ICONS / f"ganime-studio-{size}.png")
        assert image.size == (size, size) and image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # transparent corners: a rounded panel
    ico = Image.open(ICONS / "ganime-studio.ico")
    assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]


def _render_icons_module():
    spec = importlib.util.spec_from_file_location("render_icons", ICONS / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_icon_check_allows_another_cpus_rounding_but_not_another_icon(tmp_path):
    """Qt's antialiasing rounds a few pixels one level apart on another CPU (measured: one pixel of
    the 256 px icon): such a PNG, even encoded otherwise, matches; a changed drawing does not."""
    import io

    import numpy as np
    from PIL import Image

    icons = _render_icons_module()
    rendered = icons.render_png(64)
    pixels = np.array(Image.open(io.BytesIO(rendered)).convert("RGBA"))

    def png(a: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(a, "RGBA").save(buf, format="PNG", compress_level=9)  # other bytes, same pixels
        return buf.getvalue()

    rounded = pixels.copy()
    opaque = rounded[..., 3] == 255
    rounded[..., 0][opaque] = np.clip(rounded[..., 0][opaque].astype(int) + 1, 0, 255).astype(np.uint8)
    assert png(rounded) != rendered and icons.same_pixels(png(rounded), rendered)
    assert not icons.same_pixels(png(pixels[:, ::-1].copy()), rendered)  # mirrored
    recoloured = pixels.copy()
    recoloured[..., :3][opaque] //= 2
    assert not icons.same_pixels(png(recoloured), rendered)
    assert not icons.same_pixels(icons.render_png(32), rendered)  # another size

    folder = tmp_path / "icons"
    shutil.copytree(ICONS, folder)
    (folder / "ganime-studio-64.png").write_bytes(png(rounded))
    assert icons.stale_pngs(folder) == []
    (folder / "ganime-studio-64.png").write_bytes(png(recoloured))
    (folder / "ganime-studio-16.png").unlink()
    assert icons.stale_pngs(folder) == ["ganime-studio-16.png", "ganime-studio-64.png"]


def test_the_about_box_says_which_model_replaces_a_shipped_one(tmp_path):
    from _onnx_models import make_model_dir

    from ganime_desktop.core.registry import ModelRegistry

    shipped = make_model_dir(tmp_path / "shipped", names=("tiny-a", "tiny-b"))
    user = make_model_dir(tmp_path / "user", names=("tiny-b",))
    text = about.about_text(ModelRegistry([shipped, user], shipped_dir=shipped).entries(), None, "auto", "s.ini")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "[tiny-b]" in line)
    assert "; user) — available" in lines[at]
    assert lines[at + 1] == f"    replaces the shipped model of that name ({shipped / 'manifest.json'})"
    assert text.count("replaces") == 1


def test_window_and_about_box_show_the_icon(qtbot):
    icon = about.app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= {16, 32, 48, 256}
    dialog = about.AboutDialog("text")
    qtbot.addWidget(dialog)
    assert not dialog.windowIcon().isNull()
    assert dialog.icon.pixmap().size() == QSize(96, 96)


# --- CUDA add-on hint ---------------------------------------------------------------------------
def test_cuda_hint_only_when_a_gpu_lacks_the_provider():
    assert cuda_addon.cuda_hint(gpu=False, provider=False) is None
    assert cuda_addon.cuda_hint(gpu=True, provider=True) is None
    v = app_version()
    deb = cuda_addon.cuda_hint(gpu=True, provider=False, kind="deb")
    assert "NVIDIA GPU" in deb and f"ganime-studio-cuda_{v}_amd64.deb" in deb
    assert f"ganime-studio-cuda-{v}-linux-x86_64.tar.gz" in cuda_addon.cuda_hint(True, False, "user-archive")
    assert "install-cuda.sh" in cuda_addon.cuda_hint(True, False, "user-archive")
    assert f"GANime-Studio-CUDA-{v}-setup.exe" in cuda_addon.cuda_hint(True, False, "windows")
    assert "onnxruntime-gpu" in cuda_addon.cuda_hint(True, False, "python")


def test_provider_and_gpu_detection_look_at_files(tmp_path, monkeypatch):
    assert not cuda_addon.cuda_provider_installed(tmp_path)
    (tmp_path / cuda_addon.PROVIDER_LIBRARY).write_bytes(b"")
    assert cuda_addon.cuda_provider_installed(tmp_path)
    capi = cuda_addon.onnxruntime_capi_dir()  # from source: the installed onnxruntime's capi folder
    assert capi is not None and capi.is_dir() and capi.name == "capi"
    monkeypatch.setattr(cuda_addon.shutil, "which", lambda name: "/usr/bin/nvidia-smi" if name == "nvidia-smi" else None)
    assert cuda_addon.nvidia_gpu_present()
    assert cuda_addon.install_kind() == "python"


def test_status_bar_and_about_box_say_how_to_get_cuda(make_window, monkeypatch):
    monkeypatch.setattr(cuda_addon, "nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(cuda_addon, "cuda_provider_installed", lambda capi_dir=None: False)
    monkeypatch.setattr(cuda_addon, "install_kind", lambda: "deb")
    window = make_window()
    label = about.add_cuda_hint(window)
    assert isinstance(label, QLabel) and "CUDA add-on" in label.text()
    assert "ganime-studio-cuda_" in label.toolTip()
    assert window.findChild(QLabel, "cuda_hint") is label
    text = window.about_text()
    assert "Installed as: Debian package" in text and "CUDA add-on: not installed" in text
    assert "sudo apt install ./ganime-studio-cuda_" in text


def test_no_hint_without_a_gpu(make_window, monkeypatch):
    monkeypatch.setattr(cuda_addon, "nvidia_gpu_present", lambda: False)
    window = make_window()
    assert about.add_cuda_hint(window) is None
    assert window.findChild(QLabel, "cuda_hint") is None
    assert "get the CUDA" not in window.about_text()


# --- menu entry template and Windows installer scripts ------------------------------------------
def test_desktop_entry_template_validates(tmp_path):
    if not shutil.which("desktop-file-validate"):
        if shutil.which("apt-get") is None:
            pytest.skip("desktop-file-validate missing and no apt here")
        pytest.fail("desktop-file-validate is missing: run scripts/setup_system.sh")
    template = (REPO / "packaging" / "linux" / "ganime-studio.desktop.in").read_text()
    for exec_path, try_exec in (("/opt/ganime-studio/ganime", "/opt/ganime-studio/ganime"),
                                ('"/home/an artist/.local/lib/ganime-studio/ganime"',
                                 "/home/an artist/.local/lib/ganime-studio/ganime")):
        entry = tmp_path / "ganime-studio.desktop"
        entry.write_text(template.replace("@EXEC@", exec_path).replace("@TRYEXEC@", try_exec))
        done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.fixture
def makensis():
    path = shutil.which("makensis")
    if path is None:
        if shutil.which("apt-get") is None:
            pytest.skip("makensis is missing and there is no apt here to install nsis")
        pytest.fail("makensis is missing: run scripts/setup_system.sh (it installs nsis)")
    return path


def _compile(makensis: str, script: str, payload: Path, out: Path, **defines: str) -> subprocess.CompletedProcess:
    args = [makensis, "-V2", "-WX", f"-DPAYLOAD={payload}", f"-DOUTFILE={out}"]
    args += [f"-D{k}={v}" for k, v in defines.items()]
    return subprocess.run([*args, str(NSIS / script)], capture_output=True, text=True, timeout=120)


def test_makensis_compiles_the_windows_installers(makensis, tmp_path):
    """Against a stand-in payload shaped like the Windows bundle: checks the scripts' syntax, their
    includes and that every file they name exists (the icon)."""
    v = app_version()
    app = tmp_path / "app"
    (app / "_internal" / "onnxruntime" / "capi").mkdir(parents=True)
    (app / "GANime Studio.exe").write_bytes(b"MZ stand-in")
    (app / "ganime.exe").write_bytes(b"MZ stand-in")
    (app / "_internal" / "onnxruntime" / "capi" / "onnxruntime.dll").write_bytes(b"stand-in")
    cuda = tmp_path / "cuda" / "_internal" / "onnxruntime" / "capi"
    cuda.mkdir(parents=True)
    (cuda / "onnxruntime_providers_cuda.dll").write_bytes(b"stand-in")
    gpu_models = tmp_path / "cuda" / "_internal" / "assets" / "models"  # float files only CUDA runs
    gpu_models.mkdir(parents=True)
    (gpu_models / "pix2pix-tv.onnx").write_bytes(b"stand-in")
    # The uninstaller's list of the add-on's files, as package_windows.ps1 writes it.
    addon_files = tmp_path / "cuda-files.nsh"
    addon_files.write_text("".join(f'Delete "$INSTDIR\\{p.relative_to(tmp_path / "cuda")}"\n'.replace("/", "\\")
                                   for p in sorted((tmp_path / "cuda").rglob("*")) if p.is_file()))
    quad = ".".join((v.split(".") + ["0"] * 4)[:4])

    for script, payload, name, extra in (
            ("ganime.nsi", app, f"GANime-Studio-{v}-setup.exe", {}),
            ("ganime-cuda.nsi", tmp_path / "cuda", f"GANime-Studio-CUDA-{v}-setup.exe", {"ADDON_FILES": addon_files})):
        out = tmp_path / name
        done = _compile(makensis, script, payload, out, VERSION=v, VERSION_QUAD=quad, **extra)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert out.read_bytes()[:2] == b"MZ" and out.stat().st_size > 50_000

    missing_version = subprocess.run([makensis, "-V1", f"-DPAYLOAD={app}", str(NSIS / "ganime.nsi")],
                                     capture_output=True, text=True, timeout=60)
    assert missing_version.returncode != 0 and "pass the version" in missing_version.stdout + missing_version.stderr
    no_list = _compile(makensis, "ganime-cuda.nsi", tmp_path / "cuda", tmp_path / "x.exe", VERSION=v)
    assert no_list.returncode != 0 and "ADDON_FILES" in no_list.stdout + no_list.stderr


def test_the_windows_script_passes_the_defines_the_nsis_scripts_need():
    script = (REPO / "scripts" / "package_windows.ps1").read_text()
    for define in ("/DVERSION=", "/DVERSION_QUAD=", "/DPAYLOAD=", "/DOUTFILE=", "/DADDON_FILES="):
        assert define in script
    assert "packaging\\cuda_models.py" in script  # the CUDA-only models move to the add-on, as on Linux
    for nsi in ("ganime.nsi", "ganime-cuda.nsi"):
        assert nsi in script and (NSIS / nsi).is_file()


# --- which model files go with the CUDA add-on ----------------------------------------------------
def _cuda_models_module():
    spec = importlib.util.spec_from_file_location("packaging_cuda_models", REPO / "packaging" / "cuda_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cuda_only_models_are_the_float_files_of_the_int8_generators(tmp_path):
    """packaging/cuda_models.py, which both packaging scripts use, on a bundle-shaped folder of real
    tiny models: a generator with an int8 file gives its float file; one without, a style transfer
    and a generator whose int8 file is not in the bundle give nothing."""
    from _onnx_models import make_generator_onnx, make_model_dir, with_int8_file

    from ganime_desktop.core.manifest import CPU_INT8_ROLE, MANIFEST_NAME, load_manifest, write_manifest

    cuda_models = _cuda_models_module()
    assert cuda_models.CPU_INT8_ROLE == CPU_INT8_ROLE  # it cannot import the app (system Python)
    bundle = tmp_path / "ganime"
    models = make_model_dir(bundle / "_internal" / "assets" / "models", names=("dual", "plain", "lost"),
                            with_style_transfer=True)
    specs = load_manifest(models / MANIFEST_NAME)
    int8 = {name: make_generator_onnx(models / f"{name}.cpu-int8.onnx", seed=3) for name in ("dual", "lost")}
    write_manifest(models / MANIFEST_NAME, [with_int8_file(s, int8[s.name]) if s.name in int8 else s for s in specs])
    int8["lost"].unlink()
    assert cuda_models.cuda_only_models(bundle) == ["_internal/assets/models/dual.onnx"]
    done = subprocess.run([sys.executable, str(REPO / "packaging" / "cuda_models.py"), str(bundle)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "_internal/assets/models/dual.onnx\n", done.stderr
    assert cuda_models.cuda_only_models(tmp_path / "no-bundle") == []
    (models / MANIFEST_NAME).write_text("{ broken")
    done = subprocess.run([sys.executable, str(REPO / "packaging" / "cuda_models.py"), str(bundle)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "cannot read the model manifest" in done.stderr


def test_the_shipped_cuda_only_models_are_the_int8_generators_float_files(tmp_path):
    shipped = REPO / "assets" / "models"
    if not (shipped / "manifest.json").is_file():
        pytest.skip("no shipped models")
    bundle = tmp_path / "ganime"
    (bundle / "_internal" / "assets").mkdir(parents=True)
    (bundle / "_internal" / "assets" / "models").symlink_to(shipped)
    from ganime_desktop.core.manifest import CPU_INT8_ROLE, load_manifest

    expected = sorted(f"_internal/assets/models/{s.files['generator'].path}"
                      for s in load_manifest(shipped / "manifest.json") if CPU_INT8_ROLE in s.files)
    assert sorted(_cuda_models_module().cuda_only_models(bundle)) == expected
