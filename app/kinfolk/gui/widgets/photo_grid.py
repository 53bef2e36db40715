"""Photo thumbnails in a grid (a person's photos, search results), loaded lazily from the files.

Photos have no stored thumbnail (only faces do), so ``PhotoThumbnailStore`` decodes each photo
itself, off the GUI thread, with ``core.imageio.load_full(path, size)``: JPEGs are decoded at a
reduced libjpeg scale, EXIF orientation is applied. It reuses ``ThumbnailStore``'s scheme (what is on
screen now is loaded first, one small batch per task, an LRU cache, a placeholder until then), with a
smaller batch because decoding a photo costs far more than a stored face crop.

Photos are shown newest first under year headers ("2019", …, "Date unknown" last). A date that is
only the file's time (usually when it was copied) is not a date: such photos go under "Date
unknown" and their tooltip says "file date …, a guess" (``core.photo_dates``). Header rows are rows
of the model without a photo: ``items`` / ``photo_ids`` hold the photos only, ``photo_at(row)`` and
``row_of_photo(i)`` translate, and ``photo_activated`` carries the photo's position in ``items``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import (QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt,
                            Signal)
from PySide6.QtGui import QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QListView, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QWidget)

from kinfolk.core.imaging import imageio
from kinfolk.gui.widgets.face_grid import ThumbnailStore
from kinfolk.gui.tasks import TaskRunner

log = logging.getLogger(__name__)

PhotoIdRole = Qt.ItemDataRole.UserRole + 20
PathRole = Qt.ItemDataRole.UserRole + 21
HeaderRole = Qt.ItemDataRole.UserRole + 22  # True on a year header row
SIDES = (120, 160, 220, 300)  # thumbnail sizes View → Larger / Smaller Photos steps through
UNDATED = "Date unknown"


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
    date_guess: bool = False  # ``taken_at`` is only the file's time (see ``core.photo_dates``)

    @property
    def dated(self) -> bool:
        return bool(self.taken_at) and not self.date_guess

    @property
    def caption(self) -> str:
        return self.taken_at[:10] if self.dated else Path(self.path).name

    @property
    def section(self) -> str:
        """The year header the photo is listed under."""
        return self.taken_at[:4] if self.dated else UNDATED

    @property
    def tooltip(self) -> str:
        lines = [self.path]
        if self.dated:
            lines.append("Taken " + self.taken_at.replace("T", " ")[:16])
        elif self.taken_at:
            lines.append("File date " + self.taken_at[:10] + " — a guess: the photo itself has no "
                         "date (this is often when it was copied)")
        if self.people:
            lines.append(", ".join(self.people))
        return "\n".join(lines)


def photo_items(conn, rows: Sequence[tuple]) -> list[PhotoItem]:
    """``PhotoItem``s from ``(id, path, taken_at[, people])`` rows, with the date as it may be
    shown (a date in the file name beats a file time; a file time is a guess), newest first, the
    undated last (by name)."""
    from kinfolk.core.imaging.photo_dates import shown_date
    from kinfolk.db.photos import taken_at_sources

    sources = taken_at_sources(conn, [r[0] for r in rows])
    items = []
    for r in rows:
        taken, guess = shown_date(r[2], sources.get(r[0]), r[1])
        items.append(PhotoItem(r[0], r[1], taken, list(r[3]) if len(r) > 3 else [], guess))
    dated = sorted((it for it in items if it.dated), key=lambda it: (it.taken_at, it.path), reverse=True)
    undated = sorted((it for it in items if not it.dated), key=lambda it: it.path)
    return dated + undated


class PhotoGridModel(QAbstractListModel):
    """Rows are year headers and photos; a photo's ``DecorationRole`` is the thumbnail (lazy),
    ``DisplayRole`` the date (or the file name when it has none)."""

    def __init__(self, store: PhotoThumbnailStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.items: list[PhotoItem] = []
        self._rows: list[int | str] = []  # index into items, or a header's text
        self._row: dict[int, int] = {}  # photo id -> model row
        store.ready.connect(self._thumbnails_ready)

    def set_items(self, items: Sequence[PhotoItem]) -> None:
        """Show ``items`` in this order, with a header wherever the section (year) changes."""
        items = list(items)
        if items == self.items:
            return
        self.beginResetModel()
        self.items = items
        self._rows = []
        for i, it in enumerate(items):
            if i == 0 or it.section != items[i - 1].section:
                self._rows.append(it.section)
            self._rows.append(i)
        self._row = {items[r].id: row for row, r in enumerate(self._rows) if isinstance(r, int)}
        self.store.set_paths({it.id: it.path for it in items})
        self.endResetModel()

    def photo_at(self, row: int) -> PhotoItem | None:
        r = self._rows[row] if 0 <= row < len(self._rows) else None
        return self.items[r] if isinstance(r, int) else None

    def photo_position(self, row: int) -> int:
        """The position in ``items`` of the photo at model ``row`` (-1 for a header)."""
        r = self._rows[row] if 0 <= row < len(self._rows) else None
        return r if isinstance(r, int) else -1

    def row_of_photo(self, position: int) -> int:
        return self._row[self.items[position].id]

    def photo_index(self, position: int) -> QModelIndex:
        """The model index of ``items[position]``."""
        return self.index(self.row_of_photo(position))

    def set_side(self, side: int) -> None:
        """Thumbnails of another size: a new store (decoded at that size, sharp), same rows."""
        if side == self.store.size:
            return
        old = self.store
        old.ready.disconnect(self._thumbnails_ready)
        self.store = PhotoThumbnailStore(old.runner, side, parent=old.parent())
        self.store.set_paths({it.id: it.path for it in self.items})
        self.store.ready.connect(self._thumbnails_ready)
        self.beginResetModel()
        self.endResetModel()

    @property
    def headers(self) -> list[str]:
        return [r for r in self._rows if isinstance(r, str)]

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
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        if isinstance(r, str):  # a year header
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return r
            return True if role == HeaderRole else None
        it = self.items[r]
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
        if not index.isValid() or self.photo_position(index.row()) < 0:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class PhotoDelegate(QStyledItemDelegate):
    """The thumbnail centred in a square cell (portrait and landscape photos line up), the date
    under it; a rounded highlight when selected."""

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        if index.data(HeaderRole):  # a whole row of its own: the grid wraps after it
            view = self.parent()
            width = view.viewport().width() - 2 * view.spacing() - 2 if isinstance(view, QListView) else 200
            return QSize(max(width, self.side + 16), round(self._header_font(option).pointSizeF() * 2.6))
        return QSize(self.side + 16, self.side + 14 + option.fontMetrics.height())

    @staticmethod
    def _header_font(option: QStyleOptionViewItem) -> QFont:
        f = QFont(option.font)
        f.setPointSizeF(f.pointSizeF() * 1.35)
        f.setBold(True)
        return f

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        if index.data(HeaderRole):
            p.save()
            p.setFont(self._header_font(option))
            p.setPen(option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text))
            p.drawText(option.rect.adjusted(6, 0, -6, -2),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, index.data())
            p.restore()
            return
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
        self.setUniformItemSizes(False)  # year headers span a row
        self.setIconSize(QSize(icon_size, icon_size))
        self.setSpacing(4)
        self.setMouseTracking(True)
        self.delegate = PhotoDelegate(icon_size, self)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(icon_size // 3)
        self.setAccessibleName("Photos")
        self.doubleClicked.connect(self._activate)

    def zoom(self, steps: int) -> int:
        """Larger (+1) or smaller (-1) thumbnails along ``SIDES``; returns the new size."""
        i = min(range(len(SIDES)), key=lambda k: abs(SIDES[k] - self.delegate.side))
        side = SIDES[max(0, min(len(SIDES) - 1, i + steps))]
        self.delegate.side = side
        self.setIconSize(QSize(side, side))
        self.verticalScrollBar().setSingleStep(side // 3)
        if isinstance(self.model(), PhotoGridModel):
            self.model().set_side(side)
        self.scheduleDelayedItemsLayout()
        return side

    def _activate(self, ix: QModelIndex) -> None:
        pos = self.model().photo_position(ix.row()) if ix.isValid() else -1
        if pos >= 0:
            self.photo_activated.emit(pos)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def current_item(self) -> PhotoItem | None:
        ix = self.currentIndex()
        return self.model().photo_at(ix.row()) if ix.isValid() else None

    def selected_items(self) -> list[PhotoItem]:
        model = self.model()
        rows = sorted(ix.row() for ix in self.selectionModel().selectedIndexes())
        return [it for it in (model.photo_at(r) for r in rows) if it is not None]
