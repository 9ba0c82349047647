"""Help → About: versions of everything that matters for a bug report, the models and providers,
how the app was installed and, when an NVIDIA GPU has no CUDA add-on, how to get it. Also the
app's icon (assets/icons, rendered from ganime-studio.svg), for the windows and this dialog."""

from __future__ import annotations

import html
import platform
import sys
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
import PIL
import PySide6
from PySide6.QtCore import QSize, Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ganime_desktop.core import cuda_addon
from ganime_desktop.core.registry import ModelEntry
from ganime_desktop.core.sessions import ProviderInfo
from ganime_desktop.version import APP_NAME, app_version

__all__ = ["APP_NAME", "AboutDialog", "about_text", "add_cuda_hint", "app_icon", "app_version", "icon_dir",
           "versions"]
ICON_NAME = "ganime-studio"  # also the icon's name in the hicolor theme and the .desktop entry
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
INSTALL_KINDS = {
    "deb": f"Debian package, in {cuda_addon.DEB_APP_DIR}",
    "user-archive": "per-user install (install.sh)",
    "windows": "Windows",
    "bundle": "unpacked app folder",
    "python": "from source (Python)",
}


def icon_dir() -> Path:
    """assets/icons of the repo checkout or of the PyInstaller bundle."""
    root = getattr(sys, "_MEIPASS", None)
    return (Path(root) if root else Path(__file__).resolve().parents[2]) / "assets" / "icons"


@cache
def app_icon() -> QIcon:
    """The app's icon at every rendered size (an empty icon if the files are missing)."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = icon_dir() / f"{ICON_NAME}-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def versions() -> list[tuple[str, str]]:
    return [
        (APP_NAME, app_version()),
        ("onnxruntime", ort.__version__),
        ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"),
        ("NumPy", np.__version__),
        ("Pillow", PIL.__version__),
        ("Python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"),
    ]


def about_text(entries: list[ModelEntry], provider: ProviderInfo | None, device_choice: str,
               settings_file: str) -> str:
    """Plain text (also what "Copy" puts on the clipboard for bug reports)."""
    lines = [f"{APP_NAME}: colour manga and anime line art with neural networks.", ""]
    lines += [f"{name}: {version}" for name, version in versions()]
    lines += ["", f"Execution providers in this onnxruntime: {', '.join(ort.get_available_providers())}",
              f"Device setting: {device_choice}"]
    if provider is not None:
        lines.append(f"Last colouring ran on: {provider.describe()}")
    else:
        lines.append("Last colouring ran on: nothing coloured yet")
    installed = cuda_addon.install_kind()
    lines.append(f"Installed as: {INSTALL_KINDS.get(installed, installed)}")
    if installed != "python":
        lines.append("CUDA add-on: " + ("installed" if cuda_addon.cuda_provider_installed() else "not installed"))
    cuda = (getattr(ort, "cuda_version", "") or "").split(".")[0]
    hint = cuda_addon.cuda_hint(kind=installed, libraries=f"CUDA {cuda} and cuDNN 9" if cuda else "CUDA and cuDNN")
    if hint:
        lines += ["", hint]
    lines += ["", "Models:"]
    if not entries:
        lines.append("  none installed")
    for e in entries:
        spec = e.spec
        kind = f"{spec.approach}, {spec.precision}" if spec is not None else "unreadable"
        state = (f"available ({e.note})" if e.note else "available") if e.available else f"UNAVAILABLE: {e.reason}"
        lines.append(f"  {e.display_name} [{e.name}] ({kind}; {e.source}) — {state}")
        if e.replaces:  # a user model named like a shipped one: the shipped one is not offered
            lines.append(f"    replaces {e.replaces}")
    lines += ["", f"Settings file: {settings_file}"]
    return "\n".join(lines)


def add_cuda_hint(window, hint: str | None = None) -> QLabel | None:
    """When an NVIDIA GPU has no CUDA add-on (``cuda_addon.cuda_hint``), a permanent note in the
    window's status bar: the full hint as its tooltip, a link to the About box. None otherwise."""
    hint = hint if hint is not None else cuda_addon.cuda_hint()
    if not hint:
        return None
    label = QLabel("NVIDIA GPU found: <a href='about'>get the CUDA add-on</a>")
    label.setObjectName("cuda_hint")
    label.setToolTip(hint)
    # Into the window (justified): the note links to its About box, which says how to get the add-on
    label.linkActivated.connect(lambda _link: window.show_about())
    window.statusBar().addPermanentWidget(label)
    window.statusBar().showMessage(hint, 30000)
    return label


class AboutDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.text = text
        self.setWindowIcon(app_icon())
        self.icon = QLabel()
        self.icon.setPixmap(app_icon().pixmap(QSize(96, 96)))
        title = QLabel(f"<h2>{APP_NAME}</h2><p>Version {html.escape(app_version())}</p>")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header = QHBoxLayout()
        header.addWidget(self.icon)
        header.addWidget(title, 1)
        self.browser = QTextBrowser()
        self.browser.setHtml(f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>")
        self.browser.setMinimumSize(620, 420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy this text for a bug report")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
