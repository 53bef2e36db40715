"""The photo viewer's canvas: the photo fitted to the widget, a labelled box on each face; clicks pick
faces, a drag draws a new face box."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from kinfolk.db.faces import FaceInPhoto
from kinfolk.gui.widgets.face_words import COLORS, face_kind, face_label


class PhotoCanvas(QWidget):
    """Paints the photo fitted to the widget and a labelled box on each face; clicks pick faces."""

    face_clicked = Signal(int)
    face_menu_requested = Signal(int, QPoint)  # face id, global position
    box_drawn = Signal(object)  # (x1, y1, x2, y2) in full-size photo pixels ("Draw a face")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.full_size: tuple[int, int] | None = None  # what face boxes are measured in
        self.faces: list[FaceInPhoto] = []
        self.selected: int | None = None
        self.message = ""
        self.drawing = False  # "Draw a face": a drag draws a box instead of picking a face
        self._drag: tuple[QPointF, QPointF] | None = None
        self._scaled: QPixmap | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Photo")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def set_photo(self, full_size: tuple[int, int] | None, faces: list[FaceInPhoto]) -> None:
        self.image, self._scaled, self.message = None, None, "Loading…"
        self.full_size = full_size
        self.set_faces(faces)

    def set_image(self, image: QImage) -> None:
        self.image, self._scaled, self.message = image, None, ""
        if self.full_size is None:
            self.full_size = (image.width(), image.height())
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def set_faces(self, faces: list[FaceInPhoto]) -> None:
        self.faces = list(faces)
        if self.selected not in {f.id for f in self.faces}:
            self.selected = None
        self.setAccessibleDescription(", ".join(face_label(f) for f in self.faces))
        self.update()

    def set_selected(self, face_id: int | None) -> None:
        self.selected = face_id
        self.update()

    # -- geometry -----------------------------------------------------------------------------

    def image_rect(self) -> QRectF:
        """Where the photo is drawn: fitted, centred, with a small margin."""
        size = self.full_size or ((self.image.width(), self.image.height()) if self.image else None)
        if not size or size[0] <= 0 or size[1] <= 0:
            return QRectF()
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        s = min(area.width() / size[0], area.height() / size[1])
        w, h = size[0] * s, size[1] * s
        return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)

    def box_rect(self, f: FaceInPhoto) -> QRectF:
        r = self.image_rect()
        if r.isEmpty() or not self.full_size:
            return QRectF()
        s = r.width() / self.full_size[0]
        x1, y1, x2, y2 = f.box
        return QRectF(r.x() + x1 * s, r.y() + y1 * s, (x2 - x1) * s, (y2 - y1) * s)

    def to_photo(self, pos: QPointF) -> tuple[float, float] | None:
        """Widget coordinates → full-size photo pixels (None off the photo)."""
        r = self.image_rect()
        if r.isEmpty() or not self.full_size:
            return None
        s = r.width() / self.full_size[0]
        x = min(max(pos.x(), r.left()), r.right())
        y = min(max(pos.y(), r.top()), r.bottom())
        return ((x - r.x()) / s, (y - r.y()) / s)

    def set_drawing(self, on: bool) -> None:
        self.drawing = on
        self._drag = None
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        self.update()

    def face_at(self, pos: QPointF) -> int | None:
        """The face under ``pos`` (the smallest box when boxes overlap)."""
        hits = [(self.box_rect(f), f.id) for f in self.faces]
        hits = [(r.width() * r.height(), fid) for r, fid in hits if r.adjusted(-4, -4, 4, 4).contains(pos)]
        return min(hits)[1] if hits else None

    # -- painting -----------------------------------------------------------------------------

    def _pixmap_for(self, r: QRectF) -> QPixmap | None:
        if self.image is None or self.image.isNull():
            return None
        dpr = self.devicePixelRatioF()
        want = QSize(round(r.width() * dpr), round(r.height() * dpr))
        if self._scaled is None or self._scaled.size() != want:
            self._scaled = QPixmap.fromImage(self.image.scaled(
                want, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))
            self._scaled.setDevicePixelRatio(dpr)
        return self._scaled

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(24, 24, 26))
        r = self.image_rect()
        pm = self._pixmap_for(r)
        if pm is not None:
            p.drawPixmap(r.topLeft(), pm)
        elif not r.isEmpty():
            p.fillRect(r, QColor(44, 44, 48))
        if self.message:
            p.setPen(QColor(220, 220, 220))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.message)
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        fm = QFontMetricsF(font)
        for f in self.faces:
            self._paint_face(p, f, fm)
        if self._drag is not None:
            band = QRectF(self._drag[0], self._drag[1]).normalized()
            p.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(band)
        p.end()

    def _paint_face(self, p: QPainter, f: FaceInPhoto, fm: QFontMetricsF) -> None:
        box = self.box_rect(f)
        if box.isEmpty():
            return
        kind = face_kind(f)
        color = COLORS[kind]
        selected = f.id == self.selected
        pen = QPen(QColor(0, 0, 0, 90), 4.5 if selected else 3.0)  # reads on light and dark
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(box, 4, 4)
        pen = QPen(color, 3.0 if selected else 1.8)
        if kind in ("suggested", "unknown", "ignored"):
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(box, 4, 4)
        if selected:  # a ring in the selection colour around the box
            p.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2.5))
            p.drawRoundedRect(box.adjusted(-4, -4, 4, 4), 6, 6)
        text = face_label(f)
        tw = min(fm.horizontalAdvance(text) + 12, max(box.width() + 80, 120))
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, tw - 12)
        th = fm.height() + 6
        y = box.bottom() + 4
        if y + th > self.height() - 2:
            y = box.top() - th - 4
        label = QRectF(box.center().x() - tw / 2, y, tw, th)
        bg = QColor(color)
        bg.setAlpha(235 if selected else 200)
        path = QPainterPath()
        path.addRoundedRect(label, th / 2, th / 2)
        p.fillPath(path, bg)
        light = kind in ("unknown", "suggested")
        p.setPen(QColor(20, 20, 20) if light else QColor(255, 255, 255))
        p.drawText(label, Qt.AlignmentFlag.AlignCenter, text)

    # -- mouse --------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if self.drawing and event.button() == Qt.MouseButton.LeftButton:
            self._drag = (event.position(), event.position())
            return
        fid = self.face_at(event.position())
        if fid is not None:
            self.set_selected(fid)
            self.face_clicked.emit(fid)
            if event.button() == Qt.MouseButton.RightButton:
                self.face_menu_requested.emit(fid, event.globalPosition().toPoint())
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self.drawing and self._drag is not None:
            start, end = self._drag[0], event.position()
            self._drag = None
            self.update()
            a, b = self.to_photo(start), self.to_photo(end)
            if a and b:
                self.box_drawn.emit((min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]),
                                     max(a[1], b[1])))
            return
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self.drawing:
            if self._drag is not None:
                self._drag = (self._drag[0], event.position())
                self.update()
            return
        fid = self.face_at(event.position())
        self.setCursor(Qt.CursorShape.PointingHandCursor if fid is not None
                       else Qt.CursorShape.ArrowCursor)
        f = next((f for f in self.faces if f.id == fid), None)
        self.setToolTip(f"{face_label(f)} — click for options" if f else "")
        super().mouseMoveEvent(event)

    def resizeEvent(self, event) -> None:
        self._scaled = None
        super().resizeEvent(event)
