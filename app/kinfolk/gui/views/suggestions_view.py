"""Suggestions: faces that may be someone you named; say yes or no (Y / N), most likely first.

Yes confirms the face as that person (it becomes evidence for later matches); No remembers "not this
person" so the face is never suggested for them again. Several cards can be answered at once; each
answer is one undoable step. Double-click a card to see the face in its photo (the viewer can answer
too, and explains why the face was suggested).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMessageBox, QPushButton, QStackedWidget,
                               QVBoxLayout, QWidget)

from kinfolk.core.people import edits
from kinfolk.core.people.matching import Evidence, Suggestion
from kinfolk.gui.widgets.cards import Card, CardModel, CardView
from kinfolk.gui.views.people_data import PeopleSnapshot
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import EmptyState, fmt_count, heading


def confidence_words(similarity: float, evidence: Evidence | None) -> str:
    """How sure Kinfolk is, in words: where the similarity lies between the suggestion floor and
    the automatic threshold of the model (from the suggestion's evidence)."""
    if evidence is None or evidence.auto <= evidence.suggest:
        return "Maybe"
    auto, floor = evidence.auto, evidence.suggest
    if similarity >= auto:
        return "Very likely"  # above the automatic threshold, but someone else is close
    return "Probably" if similarity >= floor + (auto - floor) / 2 else "Maybe"


def partner_face(s: Suggestion, covers: dict[int, int | None]) -> int | None:
    """The face of the suggested person to show beside the unknown one: the confirmed face of
    theirs it is closest to (what the suggestion rests on), else the person's cover."""
    closest = s.evidence.closest_of(s.person_id) if s.evidence else None
    return closest.face if closest else covers.get(s.person_id)


def suggestion_cards(snap: PeopleSnapshot) -> list[Card]:
    covers = {p.id: p.cover_face_id for p in snap.people}
    return [Card(("suggestion", s.face_id, s.person_id), f"{s.person}?",
                 confidence_words(s.similarity, s.evidence), s.face_id,
                 partner_face_id=partner_face(s, covers)) for s in snap.suggestions]


class SuggestionsView(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.error: Callable[[str], None] = lambda m: QMessageBox.warning(self, "Kinfolk", m)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        top = QHBoxLayout()
        top.addWidget(heading("Suggestions"))
        top.addStretch()
        self.summary = QLabel()
        top.addWidget(self.summary)
        lay.addLayout(top)
        self.stack = QStackedWidget()
        self.empty = EmptyState("suggestions", "Nothing to review",
                                "When a face looks like someone you named but Kinfolk is not sure, "
                                "it asks you here before adding it to that person.")
        self.stack.addWidget(self.empty)
        page = QWidget()
        play = QVBoxLayout(page)
        play.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        intro = QLabel("Left: a face Kinfolk is unsure about. Right: the person it may be. Same person?")
        intro.setWordWrap(True)
        row.addWidget(intro, 1)
        self.yes_button = QPushButton("Yes")
        self.yes_button.setShortcut(QKeySequence(Qt.Key.Key_Y))
        self.yes_button.setToolTip("Yes, that is them (Y)")
        self.yes_button.clicked.connect(self.accept_selected)
        self.no_button = QPushButton("No")
        self.no_button.setShortcut(QKeySequence(Qt.Key.Key_N))
        self.no_button.setToolTip("No, not them: never suggest it again (N)")
        self.no_button.clicked.connect(self.reject_selected)
        row.addWidget(self.yes_button)
        row.addWidget(self.no_button)
        play.addLayout(row)
        self.model = CardModel(session.thumbnails(96), self)
        self.cards = CardView(96, pair=True)
        self.cards.setAccessibleName("Suggestions")
        self.cards.setModel(self.model)
        self.cards.selectionModel().selectionChanged.connect(lambda *a: self._update_buttons())
        self.cards.installEventFilter(self)  # Y / N answer even while the list has the focus
        self.cards.doubleClicked.connect(lambda ix: self.show_face(self.model.cards[ix.row()]))
        play.addWidget(self.cards, 1)
        self.stack.addWidget(page)
        self.page = page
        lay.addWidget(self.stack, 1)
        session.people.loaded.connect(self.show_snapshot)
        self.show_snapshot(session.people.snapshot)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.cards and event.type() == QEvent.Type.KeyPress and not event.modifiers():
            if event.key() == Qt.Key.Key_Y:
                self.accept_selected()
                return True
            if event.key() == Qt.Key.Key_N:
                self.reject_selected()
                return True
        return super().eventFilter(obj, event)

    def show_snapshot(self, snap: PeopleSnapshot) -> None:
        row = self.cards.currentIndex().row()
        self.model.set_cards(suggestion_cards(snap))
        n = len(snap.suggestions)
        self.summary.setText(fmt_count(n, "suggestion") if n else "")
        self.stack.setCurrentWidget(self.page if n else self.empty)
        if n and not self.cards.selectionModel().hasSelection():
            self.cards.select_key(self.model.cards[min(max(row, 0), n - 1)].key)
        self._update_buttons()

    def show_face(self, card: Card) -> None:
        """The viewer on the suggested face in its photo; ← / → walk through the suggestions."""
        faces = list(dict.fromkeys(c.key[1] for c in self.model.cards))
        self.session.show_face(card.key[1], faces)

    def _selected(self) -> list[Card]:
        cards = self.cards.selected_cards()
        if not cards and self.cards.current_card() is not None:
            cards = [self.cards.current_card()]
        return cards

    def _update_buttons(self) -> None:
        on = bool(self._selected())
        self.yes_button.setEnabled(on)
        self.no_button.setEnabled(on)

    def _answer(self, yes: bool) -> bool:
        cards = self._selected()
        if not cards:
            return False
        by_person: dict[int, list[int]] = {}
        for c in cards:
            by_person.setdefault(c.key[2], []).append(c.key[1])
        fn = edits.confirm if yes else edits.reject

        def op(conn):
            return [fn(conn, faces, pid) for pid, faces in by_person.items()]

        text = ("Confirm " if yes else "Reject ") + fmt_count(len(cards), "suggestion")
        return self.session.try_edit(text, op, self.error)

    def accept_selected(self) -> bool:
        return self._answer(True)

    def reject_selected(self) -> bool:
        return self._answer(False)
