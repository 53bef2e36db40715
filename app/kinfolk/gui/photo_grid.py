"""Photo thumbnails in a grid (a person's photos, search results), loaded lazily from the files.

Photos have no stored thumbnail (only faces do), so ``PhotoThumbnailStore`` decodes each photo
itself, off the GUI thread, with ``core.imageio.load_full(path, size)``: JPEGs are decoded at a
reduced libjpeg scale, EXIF orientation is applied. It reuses ``ThumbnailStore``'s scheme (what is on
screen now is loaded first, one small batch per task, an LRU cache, a placeholder until then), with a
smaller batch because decoding a photo costs far more than a stored face crop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import (QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt,
                            Signal)
from PySide6.QtGui import QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QListView, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QWidget)

from ..core import imageio
from .face_grid import ThumbnailStore
from .tasks import TaskRunner

log = logging.getLogger(__name__)

PhotoIdRole = Qt.ItemDataRole.UserRole + 20
PathRole = Qt.ItemDataRole.UserRole + 21


def pil_to_qimage(img) -> QImage:
    """A PIL RGB image as a ``QImage`` that owns its pixels (safe to hand to the GUI thread)."""
    img = img.convert("RGB") if img.mode != "RGB" else img
    data = img.tobytes("raw", "RGB")
    w, h = img.size
    return QImage(data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def load_photo_thumbnails(paths: Sequence[tuple[int, str]], size: int) -> list[tuple[int, QImage]]:
    """(photo id, thumbnail fitted in ``size``×``size``) for each photo; a null image for a photo
    that cannot be read (gone, damaged). Worker thread."""
    out = []
    for pid, path in paths:
        try:
            out.append((pid, pil_to_qimage(imageio.load_full(path, size))))
        except (imageio.ImageLoadError, OSError, ValueError) as exc:
            log.info("no thumbnail for photo %s: %s", pid, getattr(exc, "reason", exc))
            out.append((pid, QImage()))
    return out


class PhotoThumbnailStore(ThumbnailStore):
    """Lazily loaded, LRU-cached photo thumbnails keyed by photo id; paths come from ``set_paths``."""

    batch = 6

    def __init__(self, runner: TaskRunner, size: int = 160, cache_size: int = 600,
                 parent: Any = None) -> None:
        super().__init__(runner, None, size, cache_size, parent)
        self.paths: dict[int, str] = {}

    def set_paths(self, paths: dict[int, str]) -> None:
        self.paths.update(paths)

    def _loader(self, keys: list[int], size: int) -> Callable[[Any], list[tuple[int, QImage]]]:
        pairs = [(k, self.paths[k]) for k in keys if k in self.paths]
        return lambda ctx: load_photo_thumbnails(pairs, size)


@dataclass(frozen=True)
class PhotoItem:
    id: int
    path: str
    taken_at: str | None = None
    people: list[str] = field(default_factory=list)

    @property
    def caption(self) -> str:
        return (self.taken_at or "")[:10] or Path(self.path).name

    @property
    def tooltip(self) -> str:
        lines = [self.path]
        if self.taken_at:
            lines.append("Taken " + self.taken_at.replace("T", " ")[:16])
        if self.people:
            lines.append(", ".join(self.people))
        return "\n".join(lines)


class PhotoGridModel(QAbstractListModel):
    """Rows are photos; ``DecorationRole`` is the thumbnail (lazy), ``DisplayRole`` the date."""

    def __init__(self, store: PhotoThumbnailStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.items: list[PhotoItem] = []
        self._row: dict[int, int] = {}
        store.ready.connect(self._thumbnails_ready)

    def set_items(self, items: Sequence[PhotoItem]) -> None:
        items = list(items)
        if items == self.items:
            return
        self.beginResetModel()
        self.items = items
        self._row = {it.id: i for i, it in enumerate(items)}
        self.store.set_paths({it.id: it.path for it in items})
        self.endResetModel()

    @property
    def photo_ids(self) -> list[int]:
        return [it.id for it in self.items]

    def _thumbnails_ready(self, ids: list[int]) -> None:
        for pid in ids:
            row = self._row.get(pid)
            if row is not None:
                ix = self.index(row)
                self.dataChanged.emit(ix, ix, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.items):
            return None
        it = self.items[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.store.pixmap(it.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return it.caption
        if role == Qt.ItemDataRole.ToolTipRole:
            return it.tooltip
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Photo {Path(it.path).name}, {it.caption}"
        if role == PhotoIdRole:
            return it.id
        if role == PathRole:
            return it.path
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class PhotoDelegate(QStyledItemDelegate):
    """The thumbnail centred in a square cell (portrait and landscape photos line up), the date
    under it; a rounded highlight when selected."""

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(self.side + 16, self.side + 14 + option.fontMetrics.height())

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r, pal = option.rect, option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            bg = pal.color(QPalette.ColorRole.Highlight)
            bg.setAlpha(255 if selected else 40)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(r.adjusted(2, 2, -2, -2), 8, 8)
        cell = QRect(r.x() + (r.width() - self.side) // 2, r.y() + 6, self.side, self.side)
        pm = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pm, QPixmap) and not pm.isNull():
            dpr = pm.devicePixelRatio() or 1.0
            w, h = pm.width() / dpr, pm.height() / dpr
            s = min(self.side / w, self.side / h) if w and h else 1.0
            w, h = round(w * s), round(h * s)
            p.drawPixmap(QRect(cell.x() + (self.side - w) // 2, cell.y() + (self.side - h) // 2,
                               w, h), pm)
        fm = option.fontMetrics
        tr = QRect(r.x() + 4, cell.bottom() + 4, r.width() - 8, fm.height())
        p.setPen(pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        p.drawText(tr, Qt.AlignmentFlag.AlignHCenter,
                   fm.elidedText(index.data() or "", Qt.TextElideMode.ElideMiddle, tr.width()))
        p.restore()


class PhotoGridView(QListView):
    """Icon-mode grid of photos with their date under each; double-click or Enter emits
    ``photo_activated(row)``."""

    photo_activated = Signal(int)

    def __init__(self, icon_size: int = 160, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(icon_size, icon_size))
        self.setSpacing(4)
        self.setMouseTracking(True)
        self.delegate = PhotoDelegate(icon_size, self)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(icon_size // 3)
        self.setAccessibleName("Photos")
        self.doubleClicked.connect(lambda ix: self.photo_activated.emit(ix.row()))

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.photo_activated.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)

    def selected_items(self) -> list[PhotoItem]:
        model = self.model()
        rows = sorted(ix.row() for ix in self.selectionModel().selectedIndexes())
        return [model.items[r] for r in rows]
