"""Help → About: versions of everything that matters for a bug report, the models and providers."""

from __future__ import annotations

import html
import platform
import sys
from importlib import metadata

import numpy as np
import onnxruntime as ort
import PIL
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ganime_desktop.core.registry import ModelEntry
from ganime_desktop.core.sessions import ProviderInfo

APP_NAME = "GANime Studio"


def app_version() -> str:
    try:
        return metadata.version("ganime-studio")
    except metadata.PackageNotFoundError:  # running from a PyInstaller bundle or a bare checkout
        return getattr(sys.modules.get("ganime_desktop"), "__version__", "unknown")


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
    lines += ["", "Models:"]
    if not entries:
        lines.append("  none installed")
    for e in entries:
        spec = e.spec
        kind = f"{spec.approach}, {spec.precision}" if spec is not None else "unreadable"
        state = "available" if e.available else f"UNAVAILABLE: {e.reason}"
        lines.append(f"  {e.display_name} [{e.name}] ({kind}; {e.source}) — {state}")
    lines += ["", f"Settings file: {settings_file}"]
    return "\n".join(lines)


class AboutDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.text = text
        self.browser = QTextBrowser()
        self.browser.setHtml(f"<h2>{APP_NAME}</h2><pre style='white-space: pre-wrap'>{html.escape(text)}</pre>")
        self.browser.setMinimumSize(620, 420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy this text for a bug report")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
