"""Face thumbnails for item views that stay smooth with 100,000 faces.

``ThumbnailStore`` loads face crops (JPEG blobs in the ``thumbnails`` table) on demand. A thumbnail
is loaded only when a view asks for it, i.e. when its row is painted:

- requests are collected for one event-loop turn, then the most recent ``BATCH`` of them are loaded in
  ONE background task (one SQLite query, JPEG decode + scale to ``QImage`` off the GUI thread);
- only one load runs at a time, and requests older than the newest ``MAX_PENDING`` are dropped, so
  scrolling quickly through thousands of rows loads what is on screen now, not what flew past;
- decoded pixmaps live in an LRU cache of ``cache_size`` entries; rows not loaded yet show a
  placeholder.

``FaceGridModel`` is a ``QAbstractListModel`` over a list of face ids (one row each; the row count is
known up front, so the view lays out without loading anything). It can grow in place
(``set_face_ids`` with the old list as a prefix inserts rows rather than resetting), so faces found by
a running scan appear without losing the scroll position.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import (QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QRect,
                            QRectF, QSize, Qt, QTimer, Signal)
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QListView, QMenu, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QWidget)

from kinfolk.db import faces as db_faces
from kinfolk.db.connection import opened
from kinfolk.gui.tasks import TaskRunner

log = logging.getLogger(__name__)

FaceIdRole = Qt.ItemDataRole.UserRole + 1
BATCH = 48
MAX_PENDING = 256


class PixmapCache:
    """A least-recently-used map of face id → QPixmap (GUI thread only)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._d: OrderedDict[int, QPixmap] = OrderedDict()

    def get(self, key: int) -> QPixmap | None:
        pm = self._d.get(key)
        if pm is not None:
            self._d.move_to_end(key)
        return pm

    def put(self, key: int, pm: QPixmap) -> None:
        self._d[key] = pm
        self._d.move_to_end(key)
        while len(self._d) > self.capacity:
            self._d.popitem(last=False)

    def __contains__(self, key: int) -> bool:
        return key in self._d

    def __len__(self) -> int:
        return len(self._d)

    def discard(self, key: int) -> None:
        self._d.pop(key, None)


def load_thumbnails(library: Path, ids: list[int], size: int) -> list[tuple[int, QImage]]:
    """Read and decode the face crops of ``ids`` (worker thread): ``QImage`` is thread-safe,
    ``QPixmap`` is not, so the GUI thread converts. A face without a crop gives a null image."""
    with opened(library, migrate=False) as conn:
        blobs = db_faces.thumbnails(conn, ids)
    out = []
    for fid in ids:
        data = blobs.get(fid)
        img = QImage()
        if data is None or not img.loadFromData(data):
            out.append((fid, QImage()))
            continue
        if img.width() != size:
            img = img.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        out.append((fid, img))
    return out


def _dpr() -> float:
    app = QApplication.instance()
    return app.devicePixelRatio() if app else 1.0


def placeholder_pixmap(size: int, radius: float = 0.08) -> QPixmap:
    """A soft rounded square in the palette's mid colour, shown until a thumbnail arrives."""
    dpr = _dpr()
    side = round(size * dpr)
    pm = QPixmap(side, side)
    pm.fill(Qt.GlobalColor.transparent)
    pal = QApplication.palette() if QApplication.instance() else QPalette()
    c = QColor(pal.color(QPalette.ColorRole.Mid))
    c.setAlpha(90)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawRoundedRect(0, 0, side, side, side * radius, side * radius)
    p.end()
    pm.setDevicePixelRatio(dpr)
    return pm


class ThumbnailStore(QObject):
    """Lazily loaded, LRU-cached face thumbnails of one size, shared by the views of a library."""

    ready = Signal(list)  # face ids whose thumbnail is now cached (or known to be missing)

    batch = BATCH  # keys loaded by one background task

    def __init__(self, runner: TaskRunner, library: Path | None, size: int = 96,
                 cache_size: int = 1500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.library = Path(library) if library is not None else None
        self.size = size
        self.cache = PixmapCache(cache_size)
        self.placeholder = placeholder_pixmap(size)
        self.loads = 0  # thumbnails decoded so far (tests and the benchmark read it)
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._inflight: set[int] = set()
        self._missing: set[int] = set()
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._flush)

    def pixmap(self, fid: int) -> QPixmap:
        """The thumbnail if cached, else the placeholder (and the thumbnail is requested)."""
        pm = self.cache.get(fid)
        if pm is not None:
            return pm
        if fid not in self._missing:
            self._request(fid)
        return self.placeholder

    def has(self, fid: int) -> bool:
        return fid in self.cache

    def invalidate(self, face_ids: Sequence[int]) -> None:
        for fid in face_ids:
            self.cache.discard(fid)
            self._missing.discard(fid)

    @property
    def loading(self) -> bool:
        return self._busy or bool(self._wanted)

    def _request(self, fid: int) -> None:
        if fid in self._inflight:
            return
        self._wanted[fid] = None
        self._wanted.move_to_end(fid)
        while len(self._wanted) > MAX_PENDING:
            self._wanted.popitem(last=False)
        if not self._busy and not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        if self._busy or not self._wanted or getattr(self.runner, "_closed", False):
            return  # (a library being closed loads nothing more)
        batch: list[int] = []
        while self._wanted and len(batch) < self.batch:
            fid, _ = self._wanted.popitem(last=True)  # newest first: what is on screen now
            if fid not in self.cache and fid not in self._missing:
                batch.append(fid)
        if not batch:
            return
        self._busy = True
        self._inflight = set(batch)
        self.runner.run(self._loader(batch, round(self.size * _dpr())), name="thumbnails",
                        on_success=self._loaded, on_error=self._load_failed,
                        on_cancelled=self._idle)

    def _loader(self, keys: list[int], size: int) -> Callable[[Any], list[tuple[int, QImage]]]:
        """The background function that loads ``keys`` at ``size`` device pixels (a subclass
        loads something else, e.g. whole photos from their files)."""
        lib = self.library
        return lambda ctx: load_thumbnails(lib, keys, size)

    def _loaded(self, results: list[tuple[int, QImage]]) -> None:
        self._idle()
        dpr = _dpr()
        for fid, img in results:
            if img.isNull():
                self._missing.add(fid)
            else:
                pm = QPixmap.fromImage(img)
                pm.setDevicePixelRatio(dpr)
                self.cache.put(fid, pm)
                self.loads += 1
        self.ready.emit([fid for fid, _ in results])
        if self._wanted:
            self._timer.start()

    def _load_failed(self, exc: BaseException) -> None:
        log.warning("loading face thumbnails failed: %s", exc)
        self._idle()

    def _idle(self) -> None:
        self._busy = False
        self._inflight = set()


class FaceGridModel(QAbstractListModel):
    """Rows are face ids; ``DecorationRole`` gives the thumbnail (loaded lazily)."""

    def __init__(self, runner: TaskRunner | None, library: Path | None, icon_size: int = 96,
                 cache_size: int = 1500, parent: Any = None,
                 store: ThumbnailStore | None = None) -> None:
        super().__init__(parent)
        self.store = store or ThumbnailStore(runner, library, icon_size, cache_size, self)
        self.icon_size = self.store.size
        self._ids: list[int] = []
        self._row: dict[int, int] = {}
        self.store.ready.connect(self._thumbnails_ready)

    # Read by tests and the benchmark.
    cache = property(lambda self: self.store.cache)
    loads = property(lambda self: self.store.loads)
    loading = property(lambda self: self.store.loading)

    # -- content ------------------------------------------------------------------------------

    @property
    def face_ids(self) -> list[int]:
        return self._ids

    def set_face_ids(self, ids: Sequence[int]) -> None:
        """Show ``ids``. If the current list is a prefix of ``ids`` the new rows are appended."""
        ids = list(ids)
        n = len(self._ids)
        if n and len(ids) >= n and ids[:n] == self._ids:
            if len(ids) > n:
                self.beginInsertRows(QModelIndex(), n, len(ids) - 1)
                for i, fid in enumerate(ids[n:], n):
                    self._row[fid] = i
                self._ids = ids
                self.endInsertRows()
            return
        self.beginResetModel()
        self._ids = ids
        self._row = {fid: i for i, fid in enumerate(ids)}
        self.endResetModel()

    def face_id(self, row: int) -> int:
        return self._ids[row]

    def _thumbnails_ready(self, ids: list[int]) -> None:
        for fid in ids:
            row = self._row.get(fid)
            if row is not None:
                ix = self.index(row)
                self.dataChanged.emit(ix, ix, [Qt.ItemDataRole.DecorationRole])

    # -- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        fid = self._ids[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.store.pixmap(fid)
        if role == FaceIdRole:
            return fid
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"Face {fid}"
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.icon_size, self.icon_size)
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class FaceDelegate(QStyledItemDelegate):
    """The face, and for a selected one an unmistakable frame and tint in the selection colour
    (the style's icon-mode selection is a faint wash that is easy to miss on photos)."""

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect
        side = min(r.width(), r.height()) - 8
        cell = QRect(r.x() + (r.width() - side) // 2, r.y() + (r.height() - side) // 2, side, side)
        pm = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pm, QPixmap) and not pm.isNull():
            p.drawPixmap(cell, pm)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hl = option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
        if selected:
            tint = QColor(hl)
            tint.setAlpha(70)
            p.fillRect(cell, tint)
            p.setPen(QPen(hl, 4))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(cell).adjusted(-1, -1, 1, 1), 5, 5)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            p.setPen(QPen(hl, 2))
            p.drawRoundedRect(QRectF(cell).adjusted(-1, -1, 1, 1), 5, 5)
        p.restore()


class FaceGridView(QListView):
    """Icon-mode list with fixed cells (uniform sizes keep layout O(1) per row). Double-click or
    Enter on a face emits ``face_activated(face id)`` (views open the photo viewer on it)."""

    face_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None, icon_size: int = 96) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setIconSize(QSize(icon_size, icon_size))
        self.setGridSize(QSize(icon_size + 12, icon_size + 12))
        self.setSpacing(0)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(icon_size // 3)
        self.setAccessibleName("Faces")
        self.setMouseTracking(True)
        self.setItemDelegate(FaceDelegate(self))
        self.doubleClicked.connect(lambda ix: self.face_activated.emit(ix.data(FaceIdRole)))
        # Right-click: the view that owns the grid builds a menu for the selected face ids.
        self.menu_for: "Callable[[list[int]], QMenu | None] | None" = None

    def context_menu_at(self, pos) -> "QMenu | None":
        """The right-click menu at ``pos`` (viewport coordinates): the face under it is selected
        first unless it already is (then the whole selection is meant)."""
        ix = self.indexAt(pos)
        if self.menu_for is None or not ix.isValid():
            return None
        if not self.selectionModel().isSelected(ix):
            self.setCurrentIndex(ix)
        ids = self.selected_face_ids()
        return self.menu_for(ids) if ids else None

    def contextMenuEvent(self, event) -> None:
        menu = self.context_menu_at(event.pos())
        if menu is not None:
            menu.exec(event.globalPos())

    def keyPressEvent(self, event) -> None:
        ix = self.currentIndex()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and ix.isValid():
            self.face_activated.emit(ix.data(FaceIdRole))
            return
        super().keyPressEvent(event)

    def face_ids(self) -> list[int]:
        """Every face id in the view's model, in order."""
        m = self.model()
        return list(m.face_ids) if isinstance(m, FaceGridModel) else []

    def selected_face_ids(self) -> list[int]:
        return sorted(ix.data(FaceIdRole) for ix in self.selectionModel().selectedIndexes())
