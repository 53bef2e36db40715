"""Cards: a face, a title and a line of detail, in a grid (people, unnamed groups, suggestions).

``CardModel`` holds plain ``Card`` records and takes cover pictures from a shared ``ThumbnailStore``
(lazy, like the face grid). ``CardDelegate`` paints a rounded cover with the title and detail under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPainterPath, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QListView, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QWidget)

from .face_grid import ThumbnailStore

CardRole = Qt.ItemDataRole.UserRole + 10  # the Card itself
DetailRole = Qt.ItemDataRole.UserRole + 11


@dataclass(frozen=True)
class Card:
    key: tuple  # ("person", id) | ("group", id) | ("suggestion", face id, person id)
    title: str
    detail: str
    cover_face_id: int | None
    muted: bool = False  # e.g. a hidden person

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def id(self) -> int:
        return self.key[1]


class CardModel(QAbstractListModel):
    def __init__(self, store: ThumbnailStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.cards: list[Card] = []
        self._rows_by_face: dict[int, list[int]] = {}
        store.ready.connect(self._thumbnails_ready)

    def set_cards(self, cards: Sequence[Card]) -> None:
        cards = list(cards)
        if cards == self.cards:
            return
        if [c.key for c in cards] == [c.key for c in self.cards]:
            self.cards = cards  # same rows, new text: keep selection and scroll position
            self._index_faces()
            if cards:
                self.dataChanged.emit(self.index(0), self.index(len(cards) - 1))
            return
        self.beginResetModel()
        self.cards = cards
        self._index_faces()
        self.endResetModel()

    def _index_faces(self) -> None:
        self._rows_by_face = {}
        for i, c in enumerate(self.cards):
            if c.cover_face_id is not None:
                self._rows_by_face.setdefault(c.cover_face_id, []).append(i)

    def row_of(self, key: tuple) -> int:
        return next((i for i, c in enumerate(self.cards) if c.key == key), -1)

    def _thumbnails_ready(self, ids: list[int]) -> None:
        for fid in ids:
            for row in self._rows_by_face.get(fid, ()):
                ix = self.index(row)
                self.dataChanged.emit(ix, ix, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.cards):
            return None
        c = self.cards[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return c.title
        if role == DetailRole:
            return c.detail
        if role == CardRole:
            return c
        if role == Qt.ItemDataRole.DecorationRole:
            return (self.store.pixmap(c.cover_face_id) if c.cover_face_id is not None
                    else self.store.placeholder)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{c.title}, {c.detail}"
        return None


class CardDelegate(QStyledItemDelegate):
    """Cover (rounded), then the title (bold, elided) and the detail line (dimmed)."""

    def __init__(self, cover: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cover = cover

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        fm = option.fontMetrics
        return QSize(self.cover + 16, self.cover + 16 + 2 * fm.height() + 6)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        r = option.rect
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            bg = pal.color(QPalette.ColorRole.Highlight)
            bg.setAlpha(255 if selected else 40)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(r.adjusted(2, 2, -2, -2), 10, 10)
        card: Card = index.data(CardRole)
        cover = QRect(r.x() + (r.width() - self.cover) // 2, r.y() + 8, self.cover, self.cover)
        pm = index.data(Qt.ItemDataRole.DecorationRole)
        path = QPainterPath()
        path.addRoundedRect(cover, self.cover * 0.12, self.cover * 0.12)
        p.setClipPath(path)
        if pm is not None:
            p.drawPixmap(cover, pm)
        if card is not None and card.muted:  # e.g. a hidden person: veiled
            veil = pal.color(QPalette.ColorRole.Window)
            veil.setAlpha(150)
            p.fillRect(cover, veil)
        p.setClipping(False)
        text_role = (QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        f = QFont(option.font)
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        tr = QRect(r.x() + 6, cover.bottom() + 6, r.width() - 12, fm.height())
        p.setPen(pal.color(text_role))
        p.drawText(tr, Qt.AlignmentFlag.AlignHCenter,
                   fm.elidedText(index.data() or "", Qt.TextElideMode.ElideRight, tr.width()))
        p.setFont(option.font)
        fm = p.fontMetrics()
        dr = QRect(tr.x(), tr.bottom() + 2, tr.width(), fm.height())
        c = pal.color(text_role)
        c.setAlpha(170)
        p.setPen(c)
        p.drawText(dr, Qt.AlignmentFlag.AlignHCenter,
                   fm.elidedText(index.data(DetailRole) or "", Qt.TextElideMode.ElideRight, dr.width()))
        p.restore()


class CardView(QListView):
    def __init__(self, cover: int = 120, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(4)
        self.setMouseTracking(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.delegate = CardDelegate(cover, self)
        self.setItemDelegate(self.delegate)

    def selected_cards(self) -> list[Card]:
        rows = sorted(ix.row() for ix in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.cards[r] for r in rows]

    def current_card(self) -> Card | None:
        ix = self.currentIndex()
        return self.model().cards[ix.row()] if ix.isValid() else None

    def select_key(self, key: tuple) -> bool:
        row = self.model().row_of(key)
        if row < 0:
            return False
        ix = self.model().index(row)
        self.setCurrentIndex(ix)
        self.scrollTo(ix)
        return True
