"""The photo viewer: one photo, scaled to the window, with a box and a name on every face.

Opened by double-clicking a face or a photo anywhere (face grids, a person's photos, suggestions,
search results). It walks through the list it was opened with (← / →). The photo is decoded off the
GUI thread with ``core.imageio.load_full`` (EXIF-oriented, reduced to the screen's size); face boxes
are stored in full-size oriented pixels, so they are scaled by (shown width / ``photos.width``).

Clicking a face selects it; the panel on the right (and a right-click menu on the box) offers: name
it (the name completes from the people already named), "Yes, it's <name>" for a suggestion or an
automatic match, "Not <name>", "Move to…", and "Why is this face here?" (``core.matching.explain``:
its similarity, the runner-up, and the closest faces the user confirmed). Every edit goes through
``Session.edit``, so Undo (Ctrl+Z, also in this window) takes it back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import (QByteArray, QEvent, QPoint, QPointF, QRectF, QSettings, QSize, QStringListModel, Qt,
                            Signal)
from PySide6.QtGui import (QAction, QColor, QFont, QFontMetricsF, QImage, QKeySequence, QPainter,
                           QPainterPath, QPalette, QPen, QPixmap)
from PySide6.QtWidgets import (QAbstractButton, QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMenu, QMessageBox, QPushButton, QSizePolicy, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from ..core import imageio, matching, people
from ..core.filenames import readable
from ..core.photo_dates import shown_date
from ..db import repo
from ..db.repo import FaceInPhoto, PhotoInfo
from . import desktop, resources
from .photo_grid import pil_to_qimage
from .edit_notice import EditNotice
from .session import Session
from .suggestions_view import confidence_words
from .widgets import ask_name, fmt_count, name_completer, pass_undo_to_window

log = logging.getLogger(__name__)

ViewerItem = tuple[str, int]  # ("photo", photo id) or ("face", face id: its photo, face selected)
K_VIEWER_GEOMETRY = "viewer/geometry"
K_VIEWER_SPLITTER = "viewer/splitter"
CROP_SIZE = 168


# ------------------------------------------------------------------------------ worker functions

def load_photo_image(path: str, max_side: int) -> QImage:
    """The photo, oriented, fitted in ``max_side`` (worker thread). Raises ``ImageLoadError``."""
    return pil_to_qimage(imageio.load_full(path, max_side))


def load_face_crop(path: str, box: Sequence[float], size: int) -> QImage:
    """A sharp square crop of one face, cut from the original file (worker thread)."""
    img = QImage()
    img.loadFromData(imageio.face_thumbnail(path, box, size))
    return img


# ------------------------------------------------------------------------------ what faces say

def face_label(f: FaceInPhoto) -> str:
    """The text drawn under a face box."""
    if f.person:
        return f.person
    if f.state == "ignored":
        return "Not someone I know"
    if f.suggested:
        return f"{f.suggested}?"
    if f.cluster_id is not None:
        return "Unnamed group"
    return "Unknown"


def face_kind(f: FaceInPhoto) -> str:
    """confirmed | auto | suggested | unknown | ignored (picks the box colour)."""
    if f.person:
        return "confirmed" if f.state == "confirmed" else "auto"
    if f.state == "ignored":
        return "ignored"
    return "suggested" if f.suggested else "unknown"


COLORS = {"confirmed": QColor(46, 157, 91), "auto": QColor(59, 130, 196),
          "suggested": QColor(224, 160, 48), "unknown": QColor(235, 235, 235),
          "ignored": QColor(140, 140, 140)}


@dataclass
class Explanation:
    """``core.matching.explain`` put in words, and the closest confirmed faces to show."""

    text: str
    neighbours: list[tuple[int, str, float]]  # (face id, person name, similarity)


def explain_face(info: matching.FaceExplanation | None, names: dict[int, str], group_sizes: dict[int, int],
                 rejected: Sequence[str] = ()) -> Explanation:
    """Why a face is where it is, from ``matching.explain(conn, face_id)``; ``names`` maps person
    ids to names (the evidence stores ids), ``group_sizes`` cluster ids to face counts."""
    if info is None:
        return Explanation("This face is no longer in the library.", [])
    lines: list[str] = []
    evidence: matching.Evidence | None = None
    if info.state == "confirmed":
        lines.append(f"You said this is {info.person}.")
    elif info.state == "auto":
        evidence = info.evidence
        line = f"Recognized automatically as {info.person}"
        if info.similarity is not None:
            line += f": similarity {info.similarity:.2f}"
            if evidence is not None:
                line += f" (automatic from {evidence.auto:.2f}, with a lead of at least " \
                        f"{evidence.margin:.2f} over anyone else)"
        lines.append(line + ".")
    elif info.state == "ignored":
        lines.append("You said this group of faces is nobody you know; it is not grouped or "
                     "suggested again.")
    elif info.suggestions:
        best = info.suggestions[0]
        evidence = best.evidence
        line = f"{confidence_words(best.similarity, evidence)} {best.person} (similarity {best.similarity:.2f})"
        if evidence is not None:
            line += f", not enough to be sure (automatic from {evidence.auto:.2f})"
        lines.append(line + ": Kinfolk asks you in Suggestions.")
        others = [f"{c.person} ({c.similarity:.2f})" for c in info.suggestions[1:]]
        if others:
            lines.append("Also possible: " + ", ".join(others) + ".")
    else:
        lines.append("Not close enough to anyone you named.")
        if info.cluster is not None and info.cluster in group_sizes:
            n = group_sizes[info.cluster]
            lines.append(f"Grouped with {fmt_count(n - 1, 'similar face')} in Unnamed groups."
                         if n > 1 else "It is in a group of its own in Unnamed groups.")
    if evidence is not None and evidence.runner_up is not None:
        lines.append(f"Runner-up (the next most similar person): {evidence.runner_up:.2f}.")
    if rejected:
        lines.append("You said it is not " + ", ".join(rejected) + ".")
    neighbours = [(n.face, names.get(n.person, "?"), n.similarity)
                  for n in (evidence.neighbours if evidence is not None else ())]
    if neighbours:
        lines.append("The closest faces you confirmed:")
    return Explanation("\n".join(lines), neighbours)


# ------------------------------------------------------------------------------------- canvas

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


# -------------------------------------------------------------------------------------- panel

class FacePanel(QWidget):
    """What can be done with the selected face; the viewer wires the buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(240)
        self.setMaximumWidth(360)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        self.crop = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.crop.setFixedSize(CROP_SIZE, CROP_SIZE)
        self.crop.setAccessibleName("The selected face")
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.crop)
        row.addStretch()
        lay.addLayout(row)
        self.name_label = QLabel()
        f = QFont(self.name_label.font())
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.name_label.setFont(f)
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.name_label.setWordWrap(True)
        lay.addWidget(self.name_label)
        self.state_label = QLabel(wordWrap=True)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.state_label)
        lay.addSpacing(6)
        name_row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Who is this?")
        self.name_edit.setAccessibleName("Name for the selected face")
        self.name_edit.setClearButtonEnabled(True)
        name_row.addWidget(self.name_edit, 1)
        self.name_button = QPushButton("Name")
        name_row.addWidget(self.name_button)
        lay.addLayout(name_row)
        self.yes_button = QPushButton("Yes")
        self.not_button = QPushButton("Not")
        self.move_button = QPushButton("Move to…")
        self.move_button.setToolTip("This face is someone else you already named")
        self.not_face_button = QPushButton("Not a face")
        self.not_face_button.setToolTip("The detector was wrong (a dog, a pattern): remove this box "
                                        "for good, also after a rescan (Ctrl+Delete)")
        self.why_button = QPushButton(resources.icon("suggestions"), "Why is this face here?")
        self.why_button.setCheckable(True)
        for b in (self.yes_button, self.not_button, self.move_button, self.not_face_button,
                  self.why_button):
            lay.addWidget(b)
        self.why_box = QWidget()
        wlay = QVBoxLayout(self.why_box)
        wlay.setContentsMargins(0, 4, 0, 0)
        self.why_text = QLabel(wordWrap=True)
        self.why_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why_text.setAccessibleName("Why this face is here")
        wlay.addWidget(self.why_text)
        self.neighbours = QListWidget()
        self.neighbours.setViewMode(QListWidget.ViewMode.IconMode)
        self.neighbours.setMovement(QListWidget.Movement.Static)
        self.neighbours.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.neighbours.setIconSize(QSize(64, 64))
        self.neighbours.setGridSize(QSize(88, 64 + 2 * self.fontMetrics().height() + 8))
        self.neighbours.setWordWrap(True)
        self.neighbours.setAccessibleName("The closest faces you confirmed")
        self.neighbours.setToolTip("Double-click a face to see its photo")
        self.neighbours.setFixedHeight(self.neighbours.gridSize().height() * 2
                                       + 2 * self.neighbours.frameWidth() + 4)
        wlay.addWidget(self.neighbours)
        lay.addWidget(self.why_box)
        self.why_box.setVisible(False)
        self.why_button.toggled.connect(self.why_box.setVisible)
        self.empty = QLabel(wordWrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.empty)
        self.review_hint = QLabel("Faces one by one: type a name and press Enter. Enter alone skips "
                                  "a face; Ctrl+Delete: not a face; ← / → go back and forth; Esc "
                                  "stops.", wordWrap=True)
        self.review_hint.setAccessibleName("How the review works")
        self.review_hint.setVisible(False)
        lay.addWidget(self.review_hint)
        lay.addStretch()
        self._face_widgets = [self.crop, self.name_label, self.state_label, self.name_edit,
                              self.name_button, self.yes_button, self.not_button, self.move_button,
                              self.not_face_button, self.why_button]

    def show_nothing(self, text: str) -> None:
        for w in self._face_widgets:
            w.setVisible(False)
        self.why_box.setVisible(False)
        self.empty.setText(text)
        self.empty.setVisible(True)

    def show_face(self) -> None:
        for w in self._face_widgets:
            w.setVisible(True)
        self.empty.setVisible(False)
        self.why_box.setVisible(self.why_button.isChecked())


def state_text(f: FaceInPhoto) -> str:
    kind = face_kind(f)
    return {"confirmed": "Confirmed by you",
            "auto": "Recognized automatically",
            "suggested": f"Might be {f.suggested}: is it?",
            "ignored": "In a group you hid (not someone you know)",
            "unknown": ("In an unnamed group" if f.cluster_id is not None
                        else "Not recognized yet")}[kind]


# ------------------------------------------------------------------------------------- viewer

class PhotoViewer(QDialog):
    """A window that shows photos of the library one at a time, with their faces."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        # Injected so tests drive the viewer without modal dialogs.
        self.choose_person: Callable[[str, str, list[str], bool], str | None] = self._ask_person
        self.error: Callable[[str], None] = lambda m: QMessageBox.warning(self, "Kinfolk", m)
        self.open_file: Callable[[str], object] = desktop.open_file
        self.reveal: Callable[[str], object] = desktop.reveal
        self.items: list[ViewerItem] = []
        self.index = -1
        self.photo: PhotoInfo | None = None
        self.faces: list[FaceInPhoto] = []
        self.selected: int | None = None
        self.explanation: Explanation | None = None
        self.loading = False
        self.load_error: str | None = None
        self._gen = 0
        self.review = False  # one-by-one review: every answer moves on to the next face
        self._task = None
        self._crop_gen = 0
        self.sharp_crop: int | None = None  # the face whose crop from the original is shown
        self.setWindowTitle("Kinfolk")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.setSizeGripEnabled(True)
        self.resize(1100, 760)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        top = QHBoxLayout()
        self.prev_button = QToolButton()
        self.prev_button.setText("←")
        self.prev_button.setAccessibleName("Previous photo")
        self.prev_button.setToolTip("Previous photo (Left arrow)")
        self.prev_button.clicked.connect(self.previous)
        self.next_button = QToolButton()
        self.next_button.setText("→")
        self.next_button.setAccessibleName("Next photo")
        self.next_button.setToolTip("Next photo (Right arrow)")
        self.next_button.clicked.connect(self.next)
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)
        top.addWidget(self.title, 1)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the photo in your usual photo app")
        self.open_button.clicked.connect(self.open_photo)
        self.reveal_button = QPushButton(resources.icon("folder"), "Show in folder")
        self.reveal_button.clicked.connect(self.reveal_photo)
        self.draw_button = QPushButton("Draw a face")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("A face Kinfolk missed? Drag a box around it on the photo")
        self.draw_button.toggled.connect(lambda on: self.canvas.set_drawing(on))
        top.addWidget(self.draw_button)
        top.addWidget(self.open_button)
        top.addWidget(self.reveal_button)
        lay.addLayout(top)

        self.splitter = QSplitter()
        self.canvas = PhotoCanvas()
        self.canvas.face_clicked.connect(self._face_clicked)
        self.canvas.face_menu_requested.connect(self._face_menu)
        self.canvas.box_drawn.connect(self.add_drawn_face)
        self.adding_face = False
        self.panel = FacePanel()
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setCollapsible(0, False)
        lay.addWidget(self.splitter, 1)
        self.status = QLabel()
        self.status.setAccessibleName("Photo details")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        # What an edit just did, with Undo (the main window's status bar is behind this window).
        self.notice = EditNotice(lambda: self.session.undo.undo())
        bottom.addWidget(self.notice, 1)
        lay.addLayout(bottom)

        p = self.panel
        p.name_edit.returnPressed.connect(self.name_selected)
        p.name_button.clicked.connect(self.name_selected)
        p.yes_button.clicked.connect(self.confirm_selected)
        p.not_button.clicked.connect(self.reject_selected)
        p.move_button.clicked.connect(self.move_selected)
        p.not_face_button.clicked.connect(self.not_face_selected)
        not_face = QAction(self)
        not_face.setShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_Delete))
        not_face.triggered.connect(self.not_face_selected)
        self.addAction(not_face)
        p.name_edit.installEventFilter(self)  # review: ← / → in an empty name box change face
        pass_undo_to_window(p.name_edit)  # Ctrl+Z in the empty box undoes the last naming
        p.why_button.toggled.connect(lambda on: on and self.explain_selected())
        p.neighbours.itemDoubleClicked.connect(
            lambda it: self.session.show_face(it.data(Qt.ItemDataRole.UserRole)))

        undo = session.undo.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = session.undo.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.addAction(undo)
        self.addAction(redo)
        self._names = QStringListModel(session.people.snapshot.names, self)
        completer = name_completer([], self)
        completer.setModel(self._names)
        p.name_edit.setCompleter(completer)
        self._store = session.thumbnails(64)
        self._store.ready.connect(self._neighbour_thumbnails)
        session.people_changed.connect(self.reload_faces)
        session.edited.connect(self.notice.show_notice)
        session.people.loaded.connect(self._people_loaded)
        # Enter belongs to the name box (a dialog would also "click" its default button, Open), and
        # ← / → always change photo, even after a button was clicked (buttons use arrows to move focus).
        for b in self.findChildren(QAbstractButton):
            if isinstance(b, QPushButton):
                b.setAutoDefault(False)
                b.setDefault(False)
            b.installEventFilter(self)
        self._restore()

    # -- navigation ---------------------------------------------------------------------------

    def show_items(self, items: Sequence[ViewerItem], index: int = 0, review: bool = False) -> None:
        """Show ``items[index]``; ← / → walk through ``items``. ``review``: faces one by one, the
        name box always ready; naming a face (or "Not a face") moves on to the next one, Enter on
        an empty box skips it."""
        self.items = list(items)
        self.review = review
        self.panel.review_hint.setVisible(review)
        self.show_index(index)

    def show_index(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        self.index = index
        kind, key = self.items[index]
        conn = self.session.conn
        face_id = key if kind == "face" else None
        photo_id = repo.photo_of_face(conn, key) if kind == "face" else key
        info = repo.photo_info(conn, photo_id) if photo_id is not None else None
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.items) - 1)
        self.photo = info
        if info is None:
            self.faces = []
            self.canvas.set_photo(None, [])
            self.canvas.set_message("This photo is no longer in the library.")
            self.title.setText("")
            self.status.setText("")
            self.panel.show_nothing("")
            self._select(None)
            return
        self.faces = repo.faces_in_photo(conn, info.id)
        full = (info.width, info.height) if info.width and info.height else None
        self.canvas.set_photo(full, self.faces)
        position = f" — {index + 1} of {len(self.items)}" if len(self.items) > 1 else ""
        self.title.setText(f"<b>{Path(info.path).name}</b>{position}")
        self.setWindowTitle(f"{Path(info.path).name} — Kinfolk")
        self._update_status()
        self._load(info)
        if face_id is None and len(self.faces) == 1:
            face_id = self.faces[0].id
        self._select(face_id)

    def next(self) -> None:
        if self.index < len(self.items) - 1:
            self.show_index(self.index + 1)

    def previous(self) -> None:
        if self.index > 0:
            self.show_index(self.index - 1)

    def eventFilter(self, obj, event) -> bool:
        if (obj is self.panel.name_edit and event.type() == QEvent.Type.KeyPress
                and not obj.text() and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                self.next() if event.key() == Qt.Key.Key_Right else self.previous()
                return True
            if self.review and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._advance()  # nothing typed: skip this face
                return True
        if (isinstance(obj, QAbstractButton) and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            self.next() if event.key() == Qt.Key.Key_Right else self.previous()
            return True
        return super().eventFilter(obj, event)

    def open_photo(self) -> bool:
        """Open the photo in the system's photo app; say so when that is not possible."""
        if self.photo is None:
            return False
        ok = bool(self.open_file(self.photo.path))
        if not ok:
            self.error(f"No app could open {Path(self.photo.path).name}. Is the file still there, "
                       "and is a photo viewer set as the default for this kind of file?")
        return ok

    def reveal_photo(self) -> bool:
        if self.photo is None:
            return False
        ok = bool(self.reveal(self.photo.path))
        if not ok:
            self.error(f"Could not show {Path(self.photo.path).name} in its folder.")
        return ok

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space):
            self.next()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace):
            self.previous()
        else:
            super().keyPressEvent(event)

    def _update_status(self) -> None:
        info = self.photo
        if info is None:
            return
        parts = [fmt_count(len(self.faces), "face")]
        named = sorted({f.person for f in self.faces if f.person}, key=str.casefold)
        if named:
            parts.append(", ".join(named))
        row = self.session.conn.execute("SELECT taken_at_source FROM photos WHERE id = ?",
                                        (info.id,)).fetchone()
        taken, guess = shown_date(info.taken_at, row[0] if row else None, info.path)
        if taken and not guess:
            parts.append("taken " + taken.replace("T", " ")[:16])
        elif taken:
            parts.append(f"no date in the photo (file date {taken[:10]}, a guess)")
        if self.load_error:
            parts.append(self.load_error)
        parts.append(info.path)
        self.status.setText(" · ".join(parts))
        self.status.setToolTip(info.path)

    # -- loading ------------------------------------------------------------------------------

    def _max_side(self) -> int:
        screen = self.screen()
        if screen is None:
            return 2048
        g = screen.availableGeometry()
        return int(min(4096, max(1024, max(g.width(), g.height()) * screen.devicePixelRatio())))

    def _load(self, info: PhotoInfo) -> None:
        self._gen += 1
        gen = self._gen
        if self._task is not None:
            self._task.cancel()
        self.loading = True
        self.load_error = None
        path, side = info.path, self._max_side()
        self._task = self.session.runner.run(
            lambda ctx: load_photo_image(path, side), name="load photo", owner=self,
            on_success=lambda img: self._loaded(gen, img),
            on_error=lambda exc: self._load_failed(gen, exc),
            on_cancelled=lambda: self._load_cancelled(gen))

    def _loaded(self, gen: int, img: QImage) -> None:
        if gen != self._gen:
            return
        self.loading = False
        self.canvas.set_image(img)

    def _load_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._gen:
            return
        self.loading = False
        reason = readable(str(exc))
        self.load_error = "cannot be shown"
        if getattr(exc, "reason", None) == "missing":
            reason = ("The file is not there: moved, deleted, or on a drive that is not connected. "
                      "Its faces and names are kept.")
        self.canvas.set_message(f"This photo cannot be shown:\n{reason}")
        self._update_status()

    def _load_cancelled(self, gen: int) -> None:
        if gen == self._gen:
            self.loading = False

    # -- faces --------------------------------------------------------------------------------

    def reload_faces(self) -> None:
        """Re-read the faces of the photo shown (after an edit, an undo, or a re-match)."""
        if self.photo is None or not self.isVisible() or self.session.conn is None:
            return
        self.faces = repo.faces_in_photo(self.session.conn, self.photo.id)
        self.canvas.set_faces(self.faces)
        self._update_status()
        self._select(self.selected if any(f.id == self.selected for f in self.faces) else None,
                     keep_edit=True)

    def _people_loaded(self, snap) -> None:
        self._names.setStringList(snap.names)
        self.reload_faces()

    def face(self, face_id: int | None) -> FaceInPhoto | None:
        return next((f for f in self.faces if f.id == face_id), None)

    def _face_clicked(self, face_id: int) -> None:
        self._select(face_id)
        f = self.face(face_id)
        if f is not None and not f.person:
            self.panel.name_edit.setFocus()

    def select_face(self, face_id: int | None) -> None:
        self._select(face_id)

    def _select(self, face_id: int | None, keep_edit: bool = False) -> None:
        changed = face_id != self.selected
        self.selected = face_id
        self.canvas.set_selected(face_id)
        f = self.face(face_id)
        p = self.panel
        if f is None:
            self.explanation = None
            p.show_nothing("No face was found in this photo." if not self.faces
                           else "Click a face to name it, or to see why Kinfolk put it there.")
            return
        p.show_face()
        p.name_label.setText(face_label(f))
        p.state_label.setText(state_text(f))
        names = self.session.people.snapshot.names
        if changed or not keep_edit:
            p.name_edit.clear()
        p.name_edit.setPlaceholderText("Someone else?" if f.person else "Who is this?")
        who = f.person or f.suggested
        p.yes_button.setVisible(bool(who) and f.state != "confirmed")
        p.yes_button.setText(f"Yes, it's {who}" if who else "Yes")
        p.not_button.setVisible(bool(who))
        p.not_button.setText(f"Not {who}" if who else "Not")
        p.not_button.setToolTip(f"This is not {who}: never suggest it for them again" if who else "")
        p.move_button.setEnabled(any(n != f.person for n in names))
        if self.review and not f.person:
            p.name_edit.setFocus()
        if changed or not keep_edit:
            self._show_crop(f)
        if p.why_button.isChecked():
            self.explain_selected()

    def _show_crop(self, f: FaceInPhoto) -> None:
        """The stored thumbnail at once, then a sharp crop from the original file."""
        store = self.session.thumbnails(128)
        self.sharp_crop = None
        self.panel.crop.setPixmap(store.pixmap(f.id).scaled(
            CROP_SIZE, CROP_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
        if self.photo is None:
            return
        self._crop_gen += 1
        gen, fid, path, box = self._crop_gen, f.id, self.photo.path, f.box
        size = round(CROP_SIZE * self.devicePixelRatioF())

        def done(img: QImage) -> None:
            if gen != self._crop_gen or img.isNull():
                return
            pm = QPixmap.fromImage(img)
            pm.setDevicePixelRatio(self.devicePixelRatioF())
            self.panel.crop.setPixmap(pm)
            self.sharp_crop = fid

        self.session.runner.run(lambda ctx: load_face_crop(path, box, size), name="face crop",
                                owner=self, on_success=done,
                                on_error=lambda exc: log.info("no crop of face %s: %s", fid, exc))

    # -- edits --------------------------------------------------------------------------------

    def _edit(self, text: str, op) -> bool:
        return self.session.try_edit(text, op, self.error)

    def name_selected(self, name: str | None = None) -> bool:
        """Name the selected face (``name`` or what is typed); an existing name adds it to them."""
        f = self.face(self.selected)
        name = " ".join((name if name is not None else self.panel.name_edit.text()).split())
        if f is None or not name:
            return False
        existing = next((n for n in self.session.people.snapshot.names
                         if n.casefold() == name.casefold()), name)
        if f.person and existing.casefold() == f.person.casefold():
            if f.state == "confirmed":
                self.panel.name_edit.clear()
                return False
            return self.confirm_selected()
        fid = f.id
        ok = self._edit(f"Name face {existing}", lambda c: people.name_faces(c, [fid], existing))
        if ok:
            self.panel.name_edit.setText("")  # forgets the typing: Ctrl+Z undoes the naming
            self._advance()
        return ok

    def add_drawn_face(self, box) -> None:
        """Embed the face in ``box`` (full-size pixels) in the background, then store it as one
        undoable edit; it is selected, ready to be named."""
        self.draw_button.setChecked(False)
        if self.photo is None or self.adding_face:
            return
        from ..core import drawn_faces
        from ..db.connection import connect

        self.adding_face = True
        photo_id, lib, scans = self.photo.id, self.session.path, self.session.scans
        self.status.setText("Adding the face you drew…")

        def work(ctx):
            conn = connect(lib)
            try:
                return drawn_faces.add_drawn_face(conn, scans.backend(), photo_id, box)
            finally:
                conn.close()

        def done(change) -> None:
            self.adding_face = False
            saved = drawn_faces.saved_face(self.session.conn, change.result)
            first = [change]
            self.session.edit("Draw a face", lambda c: first.pop() if first
                              else drawn_faces.put_back(c, saved))
            if self.photo is not None and self.photo.id == photo_id:
                self.reload_faces()
                self._select(change.result)
                self.panel.name_edit.setFocus()

        def failed(exc: BaseException) -> None:
            self.adding_face = False
            self._update_status()
            self.error(f"Could not add that face: {exc}")

        self.session.runner.run(work, name="draw a face", owner=self, on_success=done,
                                on_error=failed)

    def not_face_selected(self) -> bool:
        """"Not a face": the box goes for good (remembered on rescan); undoable."""
        f = self.face(self.selected)
        if f is None:
            return False
        fid = f.id
        ok = self._edit("Not a face", lambda c: people.mark_not_face(c, [fid]))
        if ok:
            self._advance()
        return ok

    def _advance(self) -> None:
        """In a review, on to the next face (or say that all were seen)."""
        if not self.review:
            return
        if self.index < len(self.items) - 1:
            self.show_index(self.index + 1)
        else:
            self.panel.show_nothing("That was the last one: every single face has been seen.")

    def confirm_selected(self) -> bool:
        f = self.face(self.selected)
        pid = (f.person_id or f.suggested_id) if f else None
        if f is None or pid is None:
            return False
        fid, who = f.id, f.person or f.suggested
        return self._edit(f"It's {who}", lambda c: people.confirm(c, [fid], pid))

    def reject_selected(self) -> bool:
        f = self.face(self.selected)
        pid = (f.person_id or f.suggested_id) if f else None
        if f is None or pid is None:
            return False
        fid, who = f.id, f.person or f.suggested
        return self._edit(f"Not {who}", lambda c: people.reject(c, [fid], pid))

    def move_selected(self) -> bool:
        f = self.face(self.selected)
        if f is None:
            return False
        names = [n for n in self.session.people.snapshot.names if n != f.person]
        if not names:
            self.error("Nobody else has a name yet: type a name to name this face.")
            return False
        name = self.choose_person("Move face to…", "Who is this?", names, True)
        if not name:
            return False
        fid = f.id
        return self._edit(f"Move face to {name}", lambda c: people.move_faces(c, [fid], name))

    def ask_and_name_selected(self) -> bool:
        f = self.face(self.selected)
        if f is None:
            return False
        name = self.choose_person("Name this face", "Who is this? (A new name creates a person.)",
                                  self.session.people.snapshot.names, False)
        return bool(name) and self.name_selected(name)

    def explain_selected(self) -> Explanation | None:
        """Fill "Why is this face here?" for the selected face (a few quick reads)."""
        f = self.face(self.selected)
        if f is None:
            return None
        conn = self.session.conn
        snap = self.session.people.snapshot
        info = matching.explain(conn, f.id)
        names = {p.id: p.name for p in snap.people}
        sizes = {c.id: c.faces for c in snap.clusters}
        if info is not None and info.cluster is not None and info.cluster not in sizes:
            sizes[info.cluster] = len(people.face_ids_of_cluster(conn, info.cluster))
        ex = explain_face(info, names, sizes, repo.rejected_names(conn, f.id))
        self.explanation = ex
        p = self.panel
        p.why_text.setText(ex.text)
        p.neighbours.clear()
        for fid, name, sim in ex.neighbours:
            it = QListWidgetItem(self._store.pixmap(fid), f"{name.split()[0] if name else '?'}\n{sim:.2f}")
            it.setData(Qt.ItemDataRole.UserRole, fid)
            it.setToolTip(f"{name}, similarity {sim:.2f}")
            p.neighbours.addItem(it)
        p.neighbours.setVisible(bool(ex.neighbours))
        if not p.why_button.isChecked():
            p.why_button.setChecked(True)
        return ex

    def _neighbour_thumbnails(self, ids: list[int]) -> None:
        lw = self.panel.neighbours
        wanted = set(ids)
        for i in range(lw.count()):
            it = lw.item(i)
            if it.data(Qt.ItemDataRole.UserRole) in wanted:
                it.setIcon(self._store.pixmap(it.data(Qt.ItemDataRole.UserRole)))

    def _face_menu(self, face_id: int, pos: QPoint) -> None:
        menu = self.face_menu(face_id)
        if menu is not None:
            menu.exec(pos)

    def face_menu(self, face_id: int) -> QMenu | None:
        """The right-click menu of a face box (built here so tests can inspect and trigger it)."""
        f = self.face(face_id)
        if f is None:
            return None
        self._select(face_id)
        menu = QMenu(self)
        who = f.person or f.suggested

        def add(text: str, fn) -> QAction:
            a = QAction(text, menu)
            a.triggered.connect(lambda checked=False: fn())
            menu.addAction(a)
            return a

        add("Name this face…" if not f.person else "Someone else…", self.ask_and_name_selected)
        if who and f.state != "confirmed":
            add(f"Yes, it's {who}", self.confirm_selected)
        if who:
            add(f"Not {who}", self.reject_selected)
        if any(n != f.person for n in self.session.people.snapshot.names):
            add("Move to…", self.move_selected)
        add("Not a face", self.not_face_selected)
        menu.addSeparator()
        add("Why is this face here?", self.explain_selected)
        return menu

    # -- window -------------------------------------------------------------------------------

    def _ask_person(self, title: str, prompt: str, names: list[str], existing_only: bool) -> str | None:
        return ask_name(self, title, prompt, names, existing_only)

    def _restore(self) -> None:
        if self.settings is None:
            return
        geo = self.settings.value(K_VIEWER_GEOMETRY)
        if isinstance(geo, (QByteArray, bytes)):
            self.restoreGeometry(geo)
        split = self.settings.value(K_VIEWER_SPLITTER)
        if isinstance(split, (QByteArray, bytes)):
            self.splitter.restoreState(split)

    def done(self, r: int) -> None:  # closing (Esc, the close button): remember the geometry
        if self.settings is not None:
            self.settings.setValue(K_VIEWER_GEOMETRY, self.saveGeometry())
            self.settings.setValue(K_VIEWER_SPLITTER, self.splitter.saveState())
        if self._task is not None:
            self._task.cancel()
        self._gen += 1
        self.loading = False
        super().done(r)
