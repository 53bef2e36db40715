"""Cards: a face, a title and a line of detail, in a grid (people, unnamed groups, suggestions).

``CardModel`` holds plain ``Card`` records and takes cover pictures from a shared ``ThumbnailStore``
(lazy, like the face grid). ``CardDelegate`` paints a rounded cover with the title and detail under it.

Drag and drop: person and group cards can be dragged (their keys travel as JSON under ``CARD_MIME``);
a ``CardView`` accepts a drop on a card whose kind is in ``drop_kinds`` (not on itself) and emits
``cards_dropped(source keys, target card)``. What a drop means (merge, name a group) is the view's
business; the view confirms and runs it as one undoable edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from PySide6.QtCore import (QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, QRect,
                            QSize, Qt, Signal)
from PySide6.QtGui import QDrag, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QListView, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QWidget)

from kinfolk.gui.widgets.face_grid import ThumbnailStore

CardRole = Qt.ItemDataRole.UserRole + 10  # the Card itself
DetailRole = Qt.ItemDataRole.UserRole + 11
PartnerRole = Qt.ItemDataRole.UserRole + 12  # the pixmap of ``Card.partner_face_id``
CARD_MIME = "application/x-kinfolk-cards"
DRAGGABLE = ("person", "group")


def cards_mime(cards: Sequence["Card"]) -> QMimeData:
    """Drag data for cards: their keys (JSON) and, for other apps, their titles as text."""
    md = QMimeData()
    md.setData(CARD_MIME, json.dumps([list(c.key) for c in cards]).encode())
    md.setText(", ".join(c.title for c in cards))
    return md


def keys_from_mime(md: QMimeData) -> list[tuple]:
    if not md.hasFormat(CARD_MIME):
        return []
    try:
        return [tuple(k) for k in json.loads(bytes(md.data(CARD_MIME)).decode())]
    except (ValueError, TypeError):
        return []


@dataclass(frozen=True)
class Card:
    key: tuple  # ("person", id) | ("group", id) | ("suggestion", face id, person id)
    title: str
    detail: str
    cover_face_id: int | None
    muted: bool = False  # e.g. a hidden person
    partner_face_id: int | None = None  # drawn beside the cover (a suggestion: the person's face)

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
            for fid in (c.cover_face_id, c.partner_face_id):
                if fid is not None:
                    self._rows_by_face.setdefault(fid, []).append(i)

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
        if role == PartnerRole:
            return self.store.pixmap(c.partner_face_id) if c.partner_face_id is not None else None
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{c.title}, {c.detail}"
        return None

    def flags(self, index):
        if not index.isValid() or index.row() >= len(self.cards):
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.cards[index.row()].kind in DRAGGABLE:
            f |= Qt.ItemFlag.ItemIsDragEnabled
        return f

    def mimeTypes(self) -> list[str]:
        return [CARD_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({ix.row() for ix in indexes if ix.isValid()})
        return cards_mime([self.cards[r] for r in rows if self.cards[r].kind in DRAGGABLE])

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction


class CardDelegate(QStyledItemDelegate):
    """Cover (rounded), then the title (bold, elided) and the detail line (dimmed). With ``pair``,
    two faces side by side: the cover and the card's partner face (to compare them)."""

    PAIR_GAP = 8

    def __init__(self, cover: int, parent: QWidget | None = None, width: int = 0,
                 lines: int = 2, pair: bool = False) -> None:
        super().__init__(parent)
        self.cover = cover
        self.pair = pair
        self.width = max(width, (2 * cover + self.PAIR_GAP if pair else cover) + 16)
        self.lines = lines  # 1: the title only

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        fm = option.fontMetrics
        return QSize(self.width, self.cover + 16 + self.lines * fm.height() + 6)

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
        if index.row() == getattr(option.widget, "drop_row", -1):  # a card is dragged over it
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(3, 3, -3, -3), 10, 10)
        card: Card = index.data(CardRole)
        faces_w = 2 * self.cover + self.PAIR_GAP if self.pair else self.cover
        cover = QRect(r.x() + (r.width() - faces_w) // 2, r.y() + 8, self.cover, self.cover)
        pm = index.data(Qt.ItemDataRole.DecorationRole)
        self._paint_face(p, cover, pm, card is not None and card.muted, pal)
        if self.pair:
            partner = cover.translated(self.cover + self.PAIR_GAP, 0)
            self._paint_face(p, partner, index.data(PartnerRole), False, pal)
            cover = cover.united(partner)
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


    def _paint_face(self, p: QPainter, rect: QRect, pm, muted: bool, pal: QPalette) -> None:
        path = QPainterPath()
        path.addRoundedRect(rect, self.cover * 0.12, self.cover * 0.12)
        p.setClipPath(path)
        if pm is not None:
            p.drawPixmap(rect, pm)
        else:
            p.fillRect(rect, pal.color(QPalette.ColorRole.Midlight))
        if muted:  # e.g. a hidden person: veiled
            veil = pal.color(QPalette.ColorRole.Window)
            veil.setAlpha(150)
            p.fillRect(rect, veil)
        p.setClipping(False)


class CardView(QListView):
    cards_dropped = Signal(list, object)  # source card keys, the target Card

    def __init__(self, cover: int = 120, parent: QWidget | None = None,
                 drop_kinds: Sequence[str] = (), width: int = 0, lines: int = 2,
                 pair: bool = False) -> None:
        super().__init__(parent)
        self.cover = cover
        self.drop_kinds = tuple(drop_kinds)
        self.drop_row = -1
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(4)
        self.setMouseTracking(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.delegate = CardDelegate(cover, self, width, lines, pair)
        self.setItemDelegate(self.delegate)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.viewport().setAcceptDrops(True)  # setMovement(Static) turned it off
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    # -- drag and drop ------------------------------------------------------------------------

    def startDrag(self, actions) -> None:
        """Drag the selected draggable cards, showing the first one's cover. (Not the default
        drag: after a move it would try to remove the rows from the model.)"""
        rows = sorted({ix.row() for ix in self.selectionModel().selectedIndexes()})
        cards = [self.model().cards[r] for r in rows if self.model().cards[r].kind in DRAGGABLE]
        if not cards:
            return
        drag = QDrag(self)
        drag.setMimeData(cards_mime(cards))
        pm = self.model().data(self.model().index(rows[0]), Qt.ItemDataRole.DecorationRole)
        if isinstance(pm, QPixmap) and not pm.isNull():
            side = min(72, self.cover)
            drag.setPixmap(pm.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation))
        drag.exec(Qt.DropAction.MoveAction)

    def drop_target(self, md: QMimeData, pos) -> Card | None:
        """The card a drop of ``md`` at ``pos`` (viewport coordinates) would land on, if allowed."""
        keys = keys_from_mime(md)
        ix = self.indexAt(pos)
        if not keys or not ix.isValid():
            return None
        card = self.model().cards[ix.row()]
        if card.kind not in self.drop_kinds or card.key in keys:
            return None
        return card

    def _set_drop_row(self, row: int) -> None:
        if row != self.drop_row:
            self.drop_row = row
            self.viewport().update()

    def dragEnterEvent(self, event) -> None:
        if self.drop_kinds and event.mimeData().hasFormat(CARD_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        pos = event.position().toPoint()
        card = self.drop_target(event.mimeData(), pos)
        if card is None:
            self._set_drop_row(-1)
            event.ignore()
            return
        self._set_drop_row(self.indexAt(pos).row())
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()

    def dragLeaveEvent(self, event) -> None:
        self._set_drop_row(-1)
        event.accept()

    def dropEvent(self, event) -> None:
        pos = event.position().toPoint()
        card = self.drop_target(event.mimeData(), pos)
        self._set_drop_row(-1)
        if card is None:
            event.ignore()
            return
        keys = keys_from_mime(event.mimeData())
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.cards_dropped.emit(keys, card)

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
