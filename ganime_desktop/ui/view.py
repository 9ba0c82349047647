"""One zoom and pan shared by the sketch canvas and every result pane.

``SharedView`` holds the transform in image coordinates (a zoom factor and the image point shown
at the centre of each view), so views of different sizes show the same part of the picture;
``ImageView`` is the widget that paints an image through it and turns wheel and drag into zoom
and pan. The canvas and the panes are both ImageViews.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch
BACKGROUND = QColor(0x5A, 0x5E, 0x66)


class SharedView(QObject):
    """Zoom + centre in image coordinates; ``changed`` fires after every edit."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.zoom = 1.0
        self.center = QPointF(0.0, 0.0)
        self.fitting: QSize | None = None  # image size kept fitted on resize, until the user zooms or pans
        self._views: weakref.WeakSet[ImageView] = weakref.WeakSet()

    # views register themselves so "fit" can make the image fit the smallest of them
    def attach(self, view: ImageView) -> None:
        self._views.add(view)

    def detach(self, view: ImageView) -> None:
        self._views.discard(view)

    def transform_for(self, size: QSize) -> QTransform:
        """Image -> widget coordinates for a view of this size."""
        t = QTransform()
        t.translate(size.width() / 2.0, size.height() / 2.0)
        t.scale(self.zoom, self.zoom)
        t.translate(-self.center.x(), -self.center.y())
        return t

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point ``anchor`` where it is on screen (the centre if None)."""
        self.fitting = None
        new_zoom = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        factor = new_zoom / self.zoom
        if anchor is not None and factor != 1.0:
            self.center = anchor - (anchor - self.center) / factor
        self.zoom = new_zoom
        self.changed.emit()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) widget pixels."""
        self.fitting = None
        self.center = self.center - QPointF(dx, dy) / self.zoom
        self.changed.emit()

    def set_zoom(self, zoom: float) -> None:
        self.fitting = None
        self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self.changed.emit()

    def fit(self, image_size: QSize) -> None:
        """Show the whole image in the smallest visible view (so it fits in all of them); it stays
        fitted when views are resized until the user zooms or pans."""
        self.fitting = QSize(image_size)
        sizes = [v.size() for v in self._views if v.isVisible() and v.width() > 1 and v.height() > 1]
        if image_size.isEmpty():
            return
        if sizes:
            w, h = min(s.width() for s in sizes), min(s.height() for s in sizes)
            zoom = 0.97 * min(w / image_size.width(), h / image_size.height())
        else:
            zoom = 1.0
        self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self.center = QPointF(image_size.width() / 2.0, image_size.height() / 2.0)
        self.changed.emit()


class ImageView(QWidget):
    """Paints ``image()`` through the shared transform; wheel zooms, middle-drag pans.

    Subclasses decide what else a drag does (the canvas draws with the left button; a result
    pane pans with it).
    """

    def __init__(self, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shared = shared
        shared.attach(self)
        shared.changed.connect(self.update)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None

    def image(self) -> QImage | None:  # overridden
        return None

    def sizeHint(self) -> QSize:
        return QSize(420, 520)

    # --- coordinates ---------------------------------------------------------------------------
    def transform(self) -> QTransform:
        return self.shared.transform_for(self.size())

    def to_image(self, widget_pos: QPointF) -> QPointF:
        inverted, _ok = self.transform().inverted()
        return inverted.map(widget_pos)

    def to_widget_rect(self, image_rect: QRectF) -> QRectF:
        return self.transform().mapRect(image_rect)

    # --- painting ------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.shared.fitting is not None:
            self.shared.fit(self.shared.fitting)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        img = self.image()
        if img is not None and not img.isNull():
            painter.setTransform(self.transform())
            # smooth when shrinking (readable line art); crisp pixels when zoomed in to inspect
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.shared.zoom < 2.0)
            painter.drawImage(QPointF(0, 0), img)
            painter.resetTransform()
        self.paint_overlay(painter)
        painter.end()

    def paint_overlay(self, painter: QPainter) -> None:  # overridden
        pass

    # --- zoom and pan --------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.shared.zoom_by(WHEEL_STEP ** steps, self.to_image(event.position()))
        event.accept()

    def start_pan(self, pos: QPointF) -> None:
        self._pan_from = pos
        self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def is_panning(self) -> bool:
        return self._pan_from is not None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self.start_pan(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.shared.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.restore_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def restore_cursor(self) -> None:  # overridden: the cursor after a pan
        self.unsetCursor()


class ZoomLabel(QLabel):
    """The status bar's zoom readout ("Zoom 100 %", "Zoom 43 % (fit)")."""

    def __init__(self, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shared = shared
        self.setToolTip("Zoom of the sketch and the results. Ctrl+1: 100 %, Ctrl+0: fit, wheel: zoom")
        shared.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        percent = self.shared.zoom * 100.0
        text = f"{percent:.0f} %" if percent >= 10 else f"{percent:.1f} %"
        self.setText(f"Zoom {text}" + (" (fit)" if self.shared.fitting is not None else ""))
