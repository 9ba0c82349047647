"""One zoom and pan shared by the sketch canvas and every result pane.

``SharedView`` holds the transform in image coordinates (a zoom factor and the image point shown
at the centre of each view), so views of different sizes show the same part of the picture;
``ImageView`` is the widget that paints an image through it and turns wheel and drag into zoom
and pan. The canvas and the panes are both ImageViews.

While "fit" holds (Fit, a new page), each view fits the whole page to its own size: a narrow
pane shows the page smaller, the others stay large. The first zoom or pan, in any view, starts
from what that view shows and from then on every view shares one zoom and centre.

Panning: the middle button, or the left button while Space is held (Space pressed in any view
pans in every view: the key goes to the focused view, the drag to the one under the mouse).
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QTransform, QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QWidget

MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch
BACKGROUND = QColor(0x5A, 0x5E, 0x66)


FIT_MARGIN = 0.97  # a fitted page leaves a thin border of background around it


class SharedView(QObject):
    """Zoom + centre in image coordinates; ``changed`` fires after every edit, ``space_changed``
    when Space (pan with the left button) is pressed or released."""

    changed = Signal()
    space_changed = Signal(bool)
    hovered = Signal(object, object)  # (view, image point or None: the mouse left it)

    def __init__(self) -> None:
        super().__init__()
        self.overlay: QImage | None = None  # drawn over the image in every view (the fill's preview)
        self.overlay_scale = 1
        self.zoom = 1.0  # shared once the user zooms or pans; while fitting, the smallest view's
        self.center = QPointF(0.0, 0.0)
        self.fitting: QSize | None = None  # image size each view fits, until the user zooms or pans
        self.space_down = False
        self._views: weakref.WeakSet[ImageView] = weakref.WeakSet()

    # views register themselves so "fit" can make the image fit the smallest of them
    def attach(self, view: ImageView) -> None:
        self._views.add(view)

    def detach(self, view: ImageView) -> None:
        self._views.discard(view)

    def set_overlay(self, image: QImage | None, scale: int = 1) -> None:
        """Show ``image`` over the page in every view, each pixel ``scale`` page pixels; None: none."""
        if image is None and self.overlay is None:
            return
        self.overlay, self.overlay_scale = image, scale
        for view in list(self._views):
            view.update()

    def set_space_down(self, down: bool) -> None:
        if down != self.space_down:
            self.space_down = down
            self.space_changed.emit(down)

    def fit_zoom(self, size: QSize) -> float:
        """The zoom that shows the whole fitted image in a view of ``size``."""
        image = self.fitting
        if image is None or image.isEmpty() or size.width() <= 1 or size.height() <= 1:
            return self.zoom
        zoom = FIT_MARGIN * min(size.width() / image.width(), size.height() / image.height())
        return min(MAX_ZOOM, max(MIN_ZOOM, zoom))

    def shown_zoom(self) -> float:
        """The zoom to report: while fitting, the smallest visible view's (no view shows the page
        smaller); else the shared one."""
        if self.fitting is None:
            return self.zoom
        sizes = [v.size() for v in self._views if v.isVisible() and v.width() > 1 and v.height() > 1]
        return min((self.fit_zoom(size) for size in sizes), default=self.zoom)

    def zoom_for(self, size: QSize) -> float:
        """The zoom a view of ``size`` shows."""
        return self.fit_zoom(size) if self.fitting is not None else self.zoom

    def transform_for(self, size: QSize) -> QTransform:
        """Image -> widget coordinates for a view of this size."""
        zoom = self.zoom_for(size)
        t = QTransform()
        t.translate(size.width() / 2.0, size.height() / 2.0)
        t.scale(zoom, zoom)
        t.translate(-self.center.x(), -self.center.y())
        return t

    def take_over(self, size: QSize | None) -> None:
        """End fitting, keeping what the view of ``size`` shows (the one the user zooms or pans in);
        every view then shares its zoom."""
        if self.fitting is not None and size is not None:
            self.zoom = self.fit_zoom(size)
        self.fitting = None

    def zoom_by(self, factor: float, anchor: QPointF | None = None, view_size: QSize | None = None) -> None:
        """Zoom keeping the image point ``anchor`` where it is on screen (the centre if None);
        ``view_size``: the view the user zooms in (while fitting, its zoom is the start)."""
        self.take_over(view_size)
        new_zoom = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        factor = new_zoom / self.zoom
        if anchor is not None and factor != 1.0:
            self.center = anchor - (anchor - self.center) / factor
        self.zoom = new_zoom
        self.changed.emit()

    def pan_by(self, dx: float, dy: float, view_size: QSize | None = None) -> None:
        """Move the picture by (dx, dy) widget pixels of the view of ``view_size``."""
        self.take_over(view_size)
        self.center = self.center - QPointF(dx, dy) / self.zoom
        self.changed.emit()

    def set_zoom(self, zoom: float) -> None:
        self.fitting = None
        self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self.changed.emit()

    def fit(self, image_size: QSize) -> None:
        """Show the whole image in every view, each at its own size's zoom; it stays fitted when
        views are resized until the user zooms or pans. ``zoom`` is then the smallest view's."""
        self.fitting = QSize(image_size)
        if image_size.isEmpty():
            return
        self.zoom = self.shown_zoom()
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
        self._hover: QPointF | None = None  # the mouse, for the brush outline
        shared.space_changed.connect(self._on_space)

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

    def zoom(self) -> float:
        """Screen pixels per image pixel in this view."""
        return self.shared.zoom_for(self.size())

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
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom() < 2.0)
            painter.drawImage(QPointF(0, 0), img)
            overlay, k = self.shared.overlay, self.shared.overlay_scale
            if overlay is not None:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
                painter.drawImage(QRectF(0, 0, overlay.width() * k, overlay.height() * k), overlay)
            painter.resetTransform()
        self.paint_overlay(painter)
        self._paint_brush_outline(painter)
        painter.end()

    def paint_overlay(self, painter: QPainter) -> None:  # overridden
        pass

    # --- brush outline: a ring the brush's size under the mouse --------------------------------
    def brush_outline(self) -> tuple[float, QPen] | None:  # overridden: (radius in screen pixels, pen)
        return None

    def _outline_rect(self, pos: QPointF, radius: float) -> QRect:
        r = radius + 3.0
        return QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r).toAlignedRect()

    def track_hover(self, pos: QPointF | None) -> None:
        """The mouse moved to ``pos`` (None: left the view): repaint the outline's old and new place."""
        old, self._hover = self._hover, pos
        self.shared.hovered.emit(self, None if pos is None else self.to_image(pos))
        outline = self.brush_outline()
        if outline is not None:
            for where in (old, pos):
                if where is not None:
                    self.update(self._outline_rect(where, outline[0]))

    def _paint_brush_outline(self, painter: QPainter) -> None:
        if self._hover is None or self.is_panning() or self.shared.space_down:
            return
        outline = self.brush_outline()
        if outline is not None:
            radius, pen = outline
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(self._hover, radius, radius)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.track_hover(None)
        super().leaveEvent(event)

    # --- zoom and pan --------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.shared.zoom_by(WHEEL_STEP ** steps, self.to_image(event.position()), self.size())
        event.accept()

    def start_pan(self, pos: QPointF) -> None:
        self._pan_from = pos
        self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def is_panning(self) -> bool:
        return self._pan_from is not None

    def pans_on_press(self, event: QMouseEvent) -> bool:
        """The middle button, or the left one with Space held: a pan in every view."""
        return (event.button() == Qt.MouseButton.MiddleButton
                or (event.button() == Qt.MouseButton.LeftButton and self.shared.space_down))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.pans_on_press(event):
            self.start_pan(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.track_hover(event.position())
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.shared.pan_by(delta.x(), delta.y(), self.size())
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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.shared.set_space_down(True)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.shared.set_space_down(False)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _on_space(self, _down: bool) -> None:
        self.restore_cursor()
        if self._hover is not None:
            self.update(self._outline_rect(self._hover, (self.brush_outline() or (0.0, None))[0]))

    def focusOutEvent(self, event) -> None:  # noqa: N802
        # a click in another view moves the focus there, and Space's release with it; elsewhere
        # (another widget or window) the release would be lost, so Space counts as released
        new = QApplication.focusWidget()
        if not (isinstance(new, ImageView) and new.shared is self.shared):
            self.shared.set_space_down(False)
        super().focusOutEvent(event)

    def restore_cursor(self) -> None:  # overridden: the cursor after a pan or when Space changes
        if self.shared.space_down:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
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
        percent = self.shared.shown_zoom() * 100.0
        text = f"{percent:.0f} %" if percent >= 10 else f"{percent:.1f} %"
        self.setText(f"Zoom {text}" + (" (fit)" if self.shared.fitting is not None else ""))
