"""Unnamed groups: faces Kinfolk thinks belong to one person, largest group first.

The fast path is the keyboard: the selected group's faces are shown below, the name field has the
focus, typing a name (existing names complete) and Enter names the group and moves to the next one.
Selecting several groups and naming them names them all (they merge into one person). "Merge into…"
picks an existing person, and so does dragging groups onto a person in the strip of named people;
"Not someone I know" hides the group (strangers) for good. Double-click a group or a face to see it
in its photo. Every action can be undone.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from kinfolk.core.people import edits
from kinfolk.gui import resources
from kinfolk.gui.widgets.cards import Card, CardModel, CardView
from kinfolk.gui.widgets.face_grid import FaceGridModel, FaceGridView
from kinfolk.gui.views.people_data import PeopleSnapshot
from kinfolk.gui.views.people_view import confirm_drop, drop_on_person, person_cards
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import (EmptyState, ask_name, fmt_count, heading, name_completer,
    pass_undo_to_window)


def group_cards(snap: PeopleSnapshot) -> list[Card]:
    return [Card(("group", c.id), fmt_count(c.faces, "face"), f"in {fmt_count(c.photos, 'photo')}",
                 c.cover_face_id) for c in snap.clusters]


class GroupsView(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.choose_person: Callable[[list[str]], str | None] = self._ask_person
        self.error: Callable[[str], None] = self._show_error
        self.confirm_merge: Callable[[str], bool] = lambda text: confirm_drop(self, text)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        top = QHBoxLayout()
        top.addWidget(heading("Unnamed groups"))
        top.addStretch()
        self.summary = QLabel()
        top.addWidget(self.summary)
        self.review_button = QPushButton("Faces in no group…")
        self.review_button.setToolTip("Faces that are in no group (a one-time guest, a face you took "
                                      "out of a group): name them one by one, keyboard only")
        self.review_button.setAutoDefault(False)
        top.addWidget(self.review_button)
        lay.addLayout(top)

        self.stack = QStackedWidget()
        self.empty = EmptyState("groups", "No unnamed groups",
                                "After a scan, Kinfolk groups faces that look like the same person. "
                                "Name a group and every photo of that person can be found.")
        self.stack.addWidget(self.empty)
        page = QWidget()
        play = QVBoxLayout(page)
        play.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Who is this? Type a name and press Enter")
        self.name_edit.setAccessibleName("Name for the selected group")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.returnPressed.connect(self.name_selected)
        pass_undo_to_window(self.name_edit)
        row.addWidget(self.name_edit, 1)
        self.name_button = QPushButton("Name")
        self.name_button.setDefault(True)
        self.name_button.clicked.connect(self.name_selected)
        self.merge_button = QPushButton(resources.icon("people"), "Merge into…")
        self.merge_button.setToolTip("These faces are someone you already named")
        self.merge_button.clicked.connect(self.merge_selected)
        self.hide_button = QPushButton("Not someone I know")
        self.hide_button.setToolTip("Hide these faces (strangers in the background); they will not "
                                    "be grouped or suggested again")
        self.hide_button.clicked.connect(self.hide_selected)
        for b in (self.name_button, self.merge_button, self.hide_button):
            row.addWidget(b)
        play.addLayout(row)

        self.strip_box = QWidget()
        slay = QVBoxLayout(self.strip_box)
        slay.setContentsMargins(0, 4, 0, 0)
        slay.setSpacing(2)
        self.strip_hint = QLabel("Or drag groups onto someone you named:")
        slay.addWidget(self.strip_hint)
        self.people_model = CardModel(session.thumbnails(64), self)
        self.people_strip = CardView(56, drop_kinds=("person",), width=124, lines=1)
        # People wrap into rows (alphabetical), never a strip that scrolls sideways: up to two rows
        # show, more scroll down.
        self.people_strip.setFlow(CardView.Flow.LeftToRight)
        self.people_strip.setWrapping(True)
        self.people_strip.setDragEnabled(False)
        self.people_strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.people_strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._strip_row = 56 + 16 + self.fontMetrics().height() + 6 + 2 * self.people_strip.spacing()
        self.people_strip.setAccessibleName("People to drop groups on")
        self.people_strip.setModel(self.people_model)
        self.people_strip.cards_dropped.connect(self.drop_on_person)
        slay.addWidget(self.people_strip)
        play.addWidget(self.strip_box)

        self.split = split = QSplitter(Qt.Orientation.Vertical)  # its state is remembered
        self.model = CardModel(session.thumbnails(112), self)
        self.cards = CardView(112)
        self.cards.setAccessibleName("Unnamed groups")
        self.cards.setToolTip("Drag a group onto a person below the name field to add its faces "
                              "to them")
        self.cards.setModel(self.model)
        self.cards.selectionModel().selectionChanged.connect(lambda *a: self._selection_changed())
        self.cards.doubleClicked.connect(lambda ix: self._show_group(self.model.cards[ix.row()]))
        self.cards.installEventFilter(self)  # type a name while a group is selected
        split.addWidget(self.cards)
        faces_box = QWidget()
        flay = QVBoxLayout(faces_box)
        flay.setContentsMargins(0, 4, 0, 0)
        self.faces_label = QLabel("Faces in this group")
        flay.addWidget(self.faces_label)
        self.faces_model = FaceGridModel(None, None, store=session.thumbnails(80), parent=self)
        self.faces = FaceGridView(icon_size=80)
        self.faces.setAccessibleName("Faces in the selected group")
        self.faces.setModel(self.faces_model)
        self.faces.face_activated.connect(
            lambda fid: self.session.show_face(fid, self.faces_model.face_ids))
        self.faces.menu_for = self.face_menu
        self.faces.setToolTip("Right-click a face that does not belong here")
        flay.addWidget(self.faces)
        split.addWidget(faces_box)
        split.setStretchFactor(0, 5)  # the groups get the room; the faces panel two rows or so
        split.setStretchFactor(1, 2)
        play.addWidget(split, 1)
        self.stack.addWidget(page)
        lay.addWidget(self.stack, 1)
        self.page = page

        session.people.loaded.connect(self.show_snapshot)
        self.show_snapshot(session.people.snapshot)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Typing a letter on the selected groups starts naming them: the text goes to the name
        field, so "select, type, Enter" names a group without reaching for the mouse."""
        if (obj is self.cards and event.type() == QEvent.Type.KeyPress and event.text()
                and event.text().isprintable() and not event.text().isspace()
                and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
                and self.cards.selectionModel().hasSelection()):
            self.name_edit.setFocus()
            self.name_edit.insert(event.text())
            return True
        return super().eventFilter(obj, event)

    def type_target(self) -> QLineEdit | None:
        """Where typing goes when this page is shown and the sidebar has the focus."""
        return self.name_edit if self.name_edit.isEnabled() and self.name_edit.isVisible() else None

    # -- content ------------------------------------------------------------------------------

    def show_snapshot(self, snap: PeopleSnapshot) -> None:
        current = self.cards.current_card()
        selected_row = self.cards.currentIndex().row()
        self.model.set_cards(group_cards(snap))
        self.review_button.setText(f"{fmt_count(snap.singles, 'face')} in no group…")
        self.review_button.setVisible(snap.singles > 0)
        n = len(snap.clusters)
        self.summary.setText(f"{fmt_count(n, 'group')}, largest first" if n else "")
        self.stack.setCurrentWidget(self.page if n else self.empty)
        self.name_edit.setCompleter(name_completer(snap.names, self))
        self.people_model.set_cards([Card(c.key, c.title, "", c.cover_face_id, c.muted)
                                     for c in person_cards(snap, show_hidden=False, sort="Name")])
        self.strip_box.setVisible(bool(self.people_model.cards))
        self._fit_strip()
        if n and (current is None or not self.cards.select_key(current.key)):
            # The group we were on is gone (named or hidden): go on with the one now at its place.
            row = min(max(selected_row, 0), n - 1)
            self.cards.select_key(self.model.cards[row].key)
        self._selection_changed()

    def _fit_strip(self) -> None:
        """One row of people when they fit in one, else two (the rest scroll vertically)."""
        view = self.people_strip
        per_row = max(1, (view.viewport().width() or 600) // (view.delegate.width + 2 * view.spacing()))
        rows = 1 if len(self.people_model.cards) <= per_row else 2
        view.setFixedHeight(rows * self._strip_row + 2 * view.frameWidth() + 2)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_strip()

    def drop_on_person(self, keys: list[tuple], target: Card) -> bool:
        """Groups dropped on a person: after a confirmation their faces become that person's."""
        return drop_on_person(self.session, keys, target, self.confirm_merge, self.error)

    def _show_group(self, card: Card) -> None:
        """The viewer on the group's cover face; ← / → walk through the group's faces."""
        ids = edits.face_ids_of_cluster(self.session.conn, card.id)
        if card.cover_face_id is not None:
            self.session.show_face(card.cover_face_id, ids)

    def _selected_groups(self) -> list[int]:
        cards = self.cards.selected_cards()
        if not cards and self.cards.current_card() is not None:
            cards = [self.cards.current_card()]
        return [c.id for c in cards]

    def _selection_changed(self) -> None:
        groups = self._selected_groups()
        for w in (self.name_edit, self.name_button, self.merge_button, self.hide_button):
            w.setEnabled(bool(groups))
        if not groups:
            self.faces_model.set_face_ids([])
            self.faces_label.setText("Faces in this group")
            return
        conn = self.session.conn
        ids = [fid for g in groups for fid in edits.face_ids_of_cluster(conn, g)]
        self.faces_model.set_face_ids(ids)
        self.faces_label.setText(f"{fmt_count(len(ids), 'face')} in "
                                 + ("this group" if len(groups) == 1 else f"{len(groups)} groups"))

    # -- actions ------------------------------------------------------------------------------

    def name_selected(self, name: str | None = None) -> bool:
        """Give the selected group(s) ``name`` (default: the name field). True if done."""
        name = " ".join((name if isinstance(name, str) else self.name_edit.text()).split())
        groups = self._selected_groups()
        if not name or not groups:
            return False
        text = (f"Name group {name}" if len(groups) == 1 else f"Name {len(groups)} groups {name}")
        pid = edits.person_by_name(self.session.conn, name)  # the rule naming applies (any case)
        known = next((p.name for p in self.session.people.snapshot.people if p.id == pid), None)
        if known is not None:  # the name is taken: the group joins that person, so say so
            text = f"Add {'group' if len(groups) == 1 else f'{len(groups)} groups'} to {known}"
        if not self.session.try_edit(
                text, lambda c: [edits.name_cluster(c, g, name) for g in groups], self.error):
            return False
        self.name_edit.setText("")  # forgets the typing: Ctrl+Z now undoes the naming
        self.name_edit.setFocus()
        return True

    def merge_selected(self) -> bool:
        names = self.session.people.snapshot.names
        if not names:
            self.error("Nobody has a name yet: type a name to name this group.")
            return False
        name = self.choose_person(names)
        return bool(name) and self.name_selected(name)

    def hide_selected(self) -> bool:
        groups = self._selected_groups()
        if not groups:
            return False
        return self.session.try_edit(
            "Hide group" if len(groups) == 1 else f"Hide {len(groups)} groups",
            lambda c: [edits.hide_cluster(c, g) for g in groups], self.error, rematch=False)

    def face_menu(self, ids: list[int]) -> QMenu:
        """Right-click on faces of the group: pull them out, or say they are no face at all."""
        menu = QMenu(self)
        n = len(ids)
        menu.addAction("Remove from this group" if n == 1 else f"Remove {n} faces from this group",
                       lambda: self.pull_out(ids))
        menu.addAction("Not a face" if n == 1 else f"These {n} are not faces",
                       lambda: self.not_a_face(ids))
        menu.addSeparator()
        menu.addAction("Show in photo", lambda: self.session.show_face(ids[0], self.faces_model.face_ids))
        return menu

    def pull_out(self, ids: list[int]) -> bool:
        text = "Remove a face from the group" if len(ids) == 1 else f"Remove {len(ids)} faces from the group"
        return self.session.try_edit(text, lambda c: edits.pull_out_of_group(c, ids), self.error,
                                     rematch=False)

    def not_a_face(self, ids: list[int]) -> bool:
        text = "Not a face" if len(ids) == 1 else f"{len(ids)} boxes are not faces"
        return self.session.try_edit(text, lambda c: edits.mark_not_face(c, ids), self.error,
                                     rematch=False)

    def _ask_person(self, names: list[str]) -> str | None:
        return ask_name(self, "Merge into…", "Whose faces are these?", names, existing_only=True)

    def _show_error(self, message: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(self, "Kinfolk", message)
