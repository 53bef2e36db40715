"""Photo thumbnails in a grid (a person's photos, search results), loaded lazily from the files.

Photos have no stored thumbnail (only faces do), so ``PhotoThumbnailStore`` decodes each photo
itself, off the GUI thread, with ``core.imageio.load_full(path, size)``: JPEGs are decoded at a
reduced libjpeg scale, EXIF orientation is applied. It reuses ``ThumbnailStore``'s scheme (what is on
screen now is loaded first, one small batch per task, an LRU cache, a placeholder until then), with a
smaller batch because decoding a photo costs far more than a stored face crop.

Photos are shown newest first (or oldest first) under month headers ("March 2019", …, "Date
unknown" last), or by file name without headers (``ORDERS``, View → Sort Photos). A date that is
only the file's time (usually when it was copied) is not a date: such photos go under "Date
unknown" and their tooltip says "file date …, a guess" (``core.photo_dates``).

A header is a row of the model without a photo, which the delegate sizes to the viewport's width so
the grid's flow wraps before and after it. Chosen over headers painted into the photo cells or a
custom view: selection, keyboard moves, screen readers and ``indexAt`` keep working per photo with
Qt's own ``QListView``, and a header costs one row, not one widget. ``items`` / ``photo_ids`` hold
the photos only, ``photo_at(row)`` and ``row_of_photo(i)`` translate, and ``photo_activated``
carries the photo's position in ``items``.

Large lists: headers make item sizes non-uniform, so Qt asks the delegate for every row's size when
it lays the grid out (0.4 s at once for 20,000 photos on a busy 2-core machine). The view lays out in
batches (``QListView.LayoutMode.Batched``) between which events run, so neither showing nor resizing
a big grid blocks the window; grouping in ``set_items`` is a single pass, and a person's photos are
read, dated and sorted in a background task (figures: ``docs/architecture.md``,
``tests/bench/bench_photo_grid.py``).
"""

from __future__ import annotations

import bisect
import logging
import os
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import (QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize,
                            Qt, QTimer, Signal)
from PySide6.QtGui import QFont, QFontMetrics, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QListView, QStyle, QStyledItemDelegate,
                               QStyleOptionSlider, QStyleOptionViewItem, QToolTip, QWidget)

from kinfolk.core.imaging import imageio
from kinfolk.gui.widgets.face_grid import ThumbnailStore
from kinfolk.gui.tasks import TaskRunner

log = logging.getLogger(__name__)

PhotoIdRole = Qt.ItemDataRole.UserRole + 20
PathRole = Qt.ItemDataRole.UserRole + 21
HeaderRole = Qt.ItemDataRole.UserRole + 22  # True on a month header row
CountRole = Qt.ItemDataRole.UserRole + 23  # a header's "12 photos"
SIDES = (120, 160, 220, 300)  # thumbnail sizes View → Larger / Smaller Photos steps through
UNDATED = "Date unknown"
ORDERS = {"newest": "Newest First", "oldest": "Oldest First", "name": "By File Name"}  # View menu
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # English like the rest of the UI (not the C locale's)


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
    return sort_photos(items, "newest")


def sort_photos(items: Sequence[PhotoItem], order: str) -> list[PhotoItem]:
    """``items`` in one of ``ORDERS``: by date, newest or oldest first, with the undated (and the
    file-time guesses) last by path; or by file name (then path). (Attribute tests, not the
    properties: this runs on the GUI thread for every list shown.)"""
    if order == "name":
        return sorted(items, key=lambda it: (os.path.basename(it.path).casefold(), it.path))
    dated = [it for it in items if it.taken_at and not it.date_guess]
    undated = [it for it in items if not it.taken_at or it.date_guess]
    dated.sort(key=attrgetter("taken_at", "path"), reverse=order != "oldest")
    undated.sort(key=attrgetter("path"))
    return dated + undated


def section_label(section: str) -> str:
    """"2019-03" → "March 2019"; ``UNDATED`` (or anything unexpected) as it is."""
    try:
        return f"{MONTHS[int(section[5:7]) - 1]} {int(section[:4])}"
    except (ValueError, IndexError):
        return section


@dataclass(frozen=True)
class Header:
    """A header row: the section's label ("March 2019") and how many photos are under it."""

    label: str
    count: int

    @property
    def count_text(self) -> str:
        return f"{self.count:,} photo" + ("" if self.count == 1 else "s")


def grid_rows(items: Sequence[PhotoItem], headers: bool) -> list[int | Header]:
    """The model's rows: each photo's position in ``items``, preceded by a ``Header`` wherever the
    section changes, if ``headers``. A dated photo's section is its month ("2019-03", shown "March
    2019"); the undated and file-time guesses are under ``UNDATED``. One pass (GUI thread)."""
    if not headers:
        return list(range(len(items)))
    rows: list[int | Header] = []
    start, prev = 0, None
    for i, it in enumerate(items):
        sec = it.taken_at[:7] if it.taken_at and not it.date_guess else UNDATED
        if sec != prev:
            if rows:
                rows[start] = Header(rows[start].label, len(rows) - start - 1)  # type: ignore[union-attr]
            start, prev = len(rows), sec
            rows.append(Header(section_label(sec), 0))
        rows.append(i)
    if rows:
        rows[start] = Header(rows[start].label, len(rows) - start - 1)  # type: ignore[union-attr]
    return rows


class PhotoGridModel(QAbstractListModel):
    """Rows are month headers and photos; a photo's ``DecorationRole`` is the thumbnail (lazy),
    ``DisplayRole`` the date (or the file name when it has none)."""

    def __init__(self, store: PhotoThumbnailStore, parent: Any = None, order: str = "newest") -> None:
        super().__init__(parent)
        self.store = store
        self.order = order if order in ORDERS else "newest"
        self.items: list[PhotoItem] = []
        self._rows: list[int | Header] = []  # index into items, or a header
        self._row: dict[int, int] = {}  # photo id -> model row
        self._header_rows: list[int] = []  # model rows of the headers, ascending
        self.header_rows: frozenset[int] = frozenset()  # the same, for the delegate's sizeHint
        store.ready.connect(self._thumbnails_ready)

    def set_items(self, items: Sequence[PhotoItem], presorted: bool = False) -> None:
        """Show ``items`` in the model's ``order`` (``presorted``: they already are, e.g. sorted by
        the background task that read them), with a header wherever the month changes (date
        orders only)."""
        items = list(items) if presorted else sort_photos(items, self.order)
        if items == self.items:
            return
        self._show(items)

    def set_order(self, order: str) -> None:
        """Sort the same photos another way (one of ``ORDERS``)."""
        if order not in ORDERS or order == self.order:
            return
        self.order = order
        self._show(sort_photos(self.items, order))

    def _show(self, items: list[PhotoItem]) -> None:
        self.beginResetModel()
        self.items = items
        self._rows = grid_rows(items, headers=self.order != "name")
        self._header_rows = [row for row, r in enumerate(self._rows) if type(r) is Header]
        self.header_rows = frozenset(self._header_rows)
        self._row = ({it.id: row for row, it in enumerate(items)} if not self._header_rows else
                     {items[r].id: row for row, r in enumerate(self._rows) if type(r) is int})
        self.store.set_paths({it.id: it.path for it in items})
        self.endResetModel()

    def photo_at(self, row: int) -> PhotoItem | None:
        r = self._rows[row] if 0 <= row < len(self._rows) else None
        return self.items[r] if type(r) is int else None

    def photo_position(self, row: int) -> int:
        """The position in ``items`` of the photo at model ``row`` (-1 for a header)."""
        r = self._rows[row] if 0 <= row < len(self._rows) else None
        return r if type(r) is int else -1

    def row_of_photo(self, position: int) -> int:
        return self._row[self.items[position].id]

    def photo_index(self, position: int) -> QModelIndex:
        """The model index of ``items[position]``."""
        return self.index(self.row_of_photo(position))

    def row_of_id(self, photo_id: int) -> int:
        """The model row of a photo by its id (-1 if it is not shown)."""
        return self._row.get(photo_id, -1)

    def header_row_of_year(self, year: int) -> int:
        """The model row of the first header of ``year`` (-1 if there is none)."""
        suffix = f" {year}"
        return next((row for row in self._header_rows
                     if self._rows[row].label.endswith(suffix)), -1)  # type: ignore[union-attr]

    def section_at(self, row: int) -> str:
        """The label of the header ``row`` is under ("" without headers)."""
        i = bisect.bisect_right(self._header_rows, row) - 1
        return self._rows[self._header_rows[i]].label if i >= 0 else ""  # type: ignore[union-attr]

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
        """The header labels, top to bottom ("March 2019", …, "Date unknown")."""
        return [self._rows[row].label for row in self._header_rows]  # type: ignore[union-attr]

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
        if type(r) is Header:
            if role == Qt.ItemDataRole.DisplayRole:
                return r.label
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"{r.label}, {r.count_text}"
            if role == CountRole:
                return r.count_text
            return True if role == HeaderRole else None
        it = self.items[r]  # type: ignore[index]
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
    under it; a rounded highlight when selected. A header: the month in bold, its photo count
    muted, across the whole width."""

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        # Called for every row at each layout: a set lookup, no call back into the model's data().
        model = index.model()
        if index.row() in getattr(model, "header_rows", ()):  # a whole row of its own
            view = self.parent()
            width = view.viewport().width() - 2 * view.spacing() - 2 if isinstance(view, QListView) else 200
            # Tall, text at the bottom: a header sits nearer the photos it heads than those above.
            return QSize(max(width, self.side + 16), round(self._header_font(option).pointSizeF() * 3.6))
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
            font = self._header_font(option)
            p.setFont(font)
            p.setPen(option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text))
            r = option.rect.adjusted(6, 0, -6, -4)
            label = index.data() or ""
            p.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, label)
            count = index.data(CountRole)
            if count:
                gap = QFontMetrics(font).horizontalAdvance(label + "  ")
                p.setFont(option.font)
                p.setPen(option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
                p.drawText(r.adjusted(gap, 0, 0, -2),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, count)
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
    ``photo_activated(row)``. Dragging the scroll bar shows the month it is at."""

    photo_activated = Signal(int)
    BATCH = 500  # rows laid out between two turns of the event loop (~5 ms)

    def __init__(self, icon_size: int = 160, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)  # month headers span a row
        self.setLayoutMode(QListView.LayoutMode.Batched)  # 20,000 photos never block the window
        self.setBatchSize(self.BATCH)
        self.setIconSize(QSize(icon_size, icon_size))
        self.setSpacing(4)
        self.setMouseTracking(True)
        self.delegate = PhotoDelegate(icon_size, self)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(icon_size // 3)
        self.verticalScrollBar().sliderMoved.connect(self._show_scroll_date)
        self.setAccessibleName("Photos")
        self.doubleClicked.connect(self._activate)

    def zoom(self, steps: int) -> int:
        """Larger (+1) or smaller (-1) thumbnails along ``SIDES``; returns the new size."""
        i = min(range(len(SIDES)), key=lambda k: abs(SIDES[k] - self.delegate.side))
        return self.set_side(SIDES[max(0, min(len(SIDES) - 1, i + steps))])

    def set_side(self, side: int) -> int:
        """Thumbnails of the size in ``SIDES`` nearest to ``side``; returns it. The row at the top
        (a photo or a month's header) stays at the top."""
        side = min(SIDES, key=lambda s: abs(s - side))
        if side == self.delegate.side and self.iconSize().width() == side:
            return side
        top = self.top_row()
        self.delegate.side = side
        self.setIconSize(QSize(side, side))
        self.verticalScrollBar().setSingleStep(side // 3)
        if isinstance(self.model(), PhotoGridModel):
            self.model().set_side(side)
        self.scheduleDelayedItemsLayout()
        if top >= 0:  # the rows are the same at any size
            self.reveal(-1, QAbstractItemView.ScrollHint.PositionAtTop, row=top)
        return side

    def set_order(self, order: str) -> None:
        """Sort the photos another way (``ORDERS``), keeping the current photo current and in
        view."""
        model = self.model()
        if not isinstance(model, PhotoGridModel) or order == model.order:
            return
        current = self.current_item()
        model.set_order(order)
        row = model.row_of_id(current.id) if current is not None else -1
        if row >= 0:
            self.setCurrentIndex(model.index(row))
            self.reveal(current.id, QAbstractItemView.ScrollHint.PositionAtCenter)  # type: ignore[union-attr]

    def reveal(self, photo_id: int, hint: QAbstractItemView.ScrollHint, row: int = -1) -> None:
        """Scroll to a photo (or, with ``row``, to that model row) as soon as the batched layout
        is done (a big grid is laid out over a few event-loop turns; until then neither the
        photo's place nor the scroll range is known)."""
        model = self.model()
        if not isinstance(model, PhotoGridModel):
            return
        self._reveal_target = (row if row >= 0 else model.row_of_id(photo_id), hint)
        self._reveal_tries = 0
        self.executeDelayedItemsLayout()  # a pending layout starts now: no stale positions
        if not hasattr(self, "_reveal_timer"):
            self._reveal_timer = QTimer(self)
            self._reveal_timer.setInterval(15)
            self._reveal_timer.timeout.connect(self._reveal_step)
        self._reveal_timer.start()
        self._reveal_step()

    def _reveal_step(self) -> None:
        row, hint = self._reveal_target
        ix = self.model().index(row, 0) if row >= 0 else QModelIndex()
        self._reveal_tries += 1
        if not ix.isValid() or self._reveal_tries > 600:  # ~10 s: give up (the list changed?)
            self._reveal_timer.stop()
        elif self.visualRect(self.model().index(self.model().rowCount() - 1, 0)).isValid():
            # Laid out to the end: the scroll range is final (it grows batch by batch before).
            self._reveal_timer.stop()
            self.scrollTo(ix, hint)

    def years(self) -> list[int]:
        """The years that have a header, top to bottom."""
        model = self.model()
        out: list[int] = []
        for label in model.headers if isinstance(model, PhotoGridModel) else []:
            y = label.rsplit(" ", 1)[-1]
            if y.isdigit() and (not out or out[-1] != int(y)):
                out.append(int(y))
        return out

    def jump_to_year(self, year: int) -> bool:
        """Scroll so that the first header of ``year`` is at the top."""
        model = self.model()
        if not isinstance(model, PhotoGridModel):
            return False
        row = model.header_row_of_year(year)
        if row < 0:
            return False
        self.reveal(-1, QAbstractItemView.ScrollHint.PositionAtTop, row=row)
        return True

    def _top_index(self) -> QModelIndex:
        """The first row at the top of the viewport (invalid if none is there)."""
        for y in (4, self.spacing() + self.delegate.side // 2, self.delegate.side):
            for x in (self.spacing() + 8, self.viewport().width() // 2):
                ix = self.indexAt(QPoint(x, y))
                if ix.isValid():
                    return ix
        return QModelIndex()

    def top_row(self) -> int:
        """The model row at the top of the viewport (-1 if none)."""
        return self._top_index().row()

    def date_at_top(self) -> str:
        """The month of the photos at the top of the viewport ("" without headers)."""
        model = self.model()
        if not isinstance(model, PhotoGridModel) or not model.header_rows:
            return ""
        ix = self._top_index()
        return model.section_at(ix.row()) if ix.isValid() else ""

    def _show_scroll_date(self, value: int) -> None:
        """While the scroll bar is dragged: the month there, left of the handle (over the grid,
        where the eye is, as photo apps' scrubbers do)."""
        text = self.date_at_top()
        if not text:
            return
        bar = self.verticalScrollBar()
        opt = QStyleOptionSlider()
        bar.initStyleOption(opt)
        handle = bar.style().subControlRect(QStyle.ComplexControl.CC_ScrollBar, opt,
                                            QStyle.SubControl.SC_ScrollBarSlider, bar)
        width = QFontMetrics(QToolTip.font()).horizontalAdvance(text) + 24
        # showText puts the tip below-right of the point: start it a tip's width to the left.
        at = QPoint(-width - 4, handle.center().y() - 2 * QFontMetrics(QToolTip.font()).height())
        QToolTip.showText(bar.mapToGlobal(at), text, bar)

    def _activate(self, ix: QModelIndex) -> None:
        pos = self.model().photo_position(ix.row()) if ix.isValid() else -1
        if pos >= 0:
            self.photo_activated.emit(pos)

    def moveCursor(self, action, modifiers) -> QModelIndex:  # noqa: N802 - Qt override
        """Keyboard moves land on photos: Home (and Page Up/Down) that would reach a header go to
        the first photo under it (headers can be neither current nor selected)."""
        ix = super().moveCursor(action, modifiers)
        model = self.model()
        if not ix.isValid() or not isinstance(model, PhotoGridModel) or model.photo_at(ix.row()):
            return ix
        for step in (1, -1):
            row = ix.row()
            while 0 <= row < model.rowCount() and model.photo_at(row) is None:
                row += step
            if 0 <= row < model.rowCount():
                return model.index(row)
        return ix

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


class YearJump(QComboBox):
    """"Go to year…" above a photo grid: its years in the grid's order; choosing one scrolls to
    that year's first header. Hidden while the grid has fewer than two years, or when the page
    says it is not ``wanted`` (e.g. another tab is shown)."""

    def __init__(self, grid: PhotoGridView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.wanted = True
        self.setAccessibleName("Go to year")
        self.setToolTip("Scroll to the photos of a year")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.activated.connect(self._chosen)
        grid.model().modelReset.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        years = self.grid.years()
        self.blockSignals(True)
        self.clear()
        self.addItem("Go to year…", None)
        for y in years:
            self.addItem(str(y), y)
        self.setCurrentIndex(0)
        self.blockSignals(False)
        self.setVisible(self.wanted and len(years) > 1)

    def set_wanted(self, wanted: bool) -> None:
        self.wanted = wanted
        self.setVisible(wanted and self.count() > 2)

    def _chosen(self, i: int) -> None:
        year = self.itemData(i)
        if year is not None:
            self.grid.jump_to_year(year)
            self.grid.setFocus()
        self.setCurrentIndex(0)
