"""People: a card per named person (cover face, name, photo count); a page per person.

Cards: open (double-click or Enter), rename, merge into another person (also by dragging one card
onto another), hide/show. The person page shows their photos newest first under month headers
(read in a background task, thumbnails decoded lazily from the files; double-click opens the
viewer) and all their faces; selected faces can be rejected
("Not <name>": never suggested for them again), moved to someone else, or used as the cover. "Forget <name>…" erases the person's faces and name from
the library after a confirmation that says exactly what will be deleted (not undoable, by design).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox,
                               QHBoxLayout, QLabel, QLineEdit, QMenu, QMessageBox, QPushButton,
                               QSizePolicy, QStackedWidget, QTabWidget, QToolButton, QVBoxLayout,
                               QWidget)

from kinfolk.core.people import edits, forget
from kinfolk.core.people.edits import PersonSummary
from kinfolk.db import photos as db_photos
from kinfolk.gui.widgets.cards import Card, CardModel, CardView
from kinfolk.gui.widgets.face_grid import FaceGridModel, FaceGridView
from kinfolk.gui.views.people_data import PeopleSnapshot
from kinfolk.gui.widgets.photo_grid import (PhotoGridModel, PhotoGridView, PhotoItem, PhotoThumbnailStore,
                                           YearJump, photo_items, sort_photos)
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import EmptyState, ask_name, fmt_count, heading


SORTS = ("Most photos", "Name", "Recent photos")  # the People page's "Sort by" choices


def sort_people(persons: list[PersonSummary], sort: str) -> list[PersonSummary]:
    """Most photos first; by name; or whose newest photo is newest first (no dated photo: last)."""
    by_name = sorted(persons, key=lambda p: p.name.casefold())
    if sort == "Name":
        return by_name
    if sort == "Recent photos":
        dated = sorted((p for p in by_name if p.latest_photo), key=lambda p: p.latest_photo,
                       reverse=True)
        return dated + [p for p in by_name if not p.latest_photo]
    return sorted(by_name, key=lambda p: -p.photos)


def person_cards(snap: PeopleSnapshot, show_hidden: bool, text: str = "",
                 sort: str = "Most photos") -> list[Card]:
    text = text.strip().casefold()
    out = []
    for p in sort_people(snap.people, sort):
        if (p.hidden and not show_hidden) or (text and text not in p.name.casefold()):
            continue
        detail = fmt_count(p.photos, "photo")
        if p.suggestions:
            detail += f" · {p.suggestions} to review"
        if p.hidden:
            detail += " · hidden"
        out.append(Card(("person", p.id), p.name, detail, p.cover_face_id, muted=p.hidden))
    return out


def drop_on_person(session: Session, keys: list[tuple], target: Card,
                   confirm: Callable[[str], bool], error: Callable[[str], None]) -> bool:
    """What dropping person and group cards on a person's card does: persons are merged into the
    target, groups named after it, after ``confirm(question)``; one undoable step."""
    if target.kind != "person":
        return False
    snap = session.people.snapshot
    persons = {p.id: p for p in snap.people}
    groups = {c.id: c for c in snap.clusters}
    dst = persons.get(target.id)
    src_people = [persons[k[1]] for k in keys if k[0] == "person" and k[1] in persons
                  and k[1] != target.id]
    src_groups = [groups[k[1]] for k in keys if k[0] == "group" and k[1] in groups]
    if dst is None or not (src_people or src_groups):
        return False
    parts = []
    if src_people:
        names = ", ".join(p.name for p in src_people)
        parts.append(f"Merge {names} into {dst.name}? All their faces become {dst.name}'s; "
                     f"the name {names} is no longer used." if len(src_people) == 1 else
                     f"Merge {names} into {dst.name}? All their faces become {dst.name}'s; "
                     f"the names {names} are no longer used.")
    if src_groups:
        n = sum(g.faces for g in src_groups)
        parts.append(f"Add the {fmt_count(n, 'face')} of {fmt_count(len(src_groups), 'group')} to "
                     f"{dst.name}?")
    if not confirm("\n".join(parts) + "\n\nYou can undo this (Ctrl+Z)."):
        return False
    pid, name = dst.id, dst.name
    ids_p, ids_g = [p.id for p in src_people], [g.id for g in src_groups]

    def op(conn):
        return ([edits.merge(conn, src, pid) for src in ids_p]
                + [edits.name_cluster(conn, g, name) for g in ids_g])

    what = ", ".join([p.name for p in src_people] + ([fmt_count(len(src_groups), "group")]
                                                       if src_groups else []))
    return session.try_edit(f"Merge {what} into {name}", op, error)


def confirm_drop(parent: QWidget, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Merge?", text, parent=parent)
    ok = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(ok)
    box.exec()
    return box.clickedButton() is ok


class BirthDateDialog(QDialog):
    """A birth date picked from a calendar (no typing a format), or "not known"."""

    def __init__(self, name: str, current: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Birth date")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"When was {name} born? Kinfolk then never suggests {name} for faces "
                             "in photos taken before that day.", wordWrap=True))
        self.known = QCheckBox("I know the birth date")
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("d MMMM yyyy")
        self.date.setMaximumDate(QDate.currentDate())
        self.date.setMinimumDate(QDate(1850, 1, 1))
        self.date.setAccessibleName(f"{name}'s birth date")
        d = QDate.fromString(current or "", "yyyy-MM-dd")
        self.known.setChecked(d.isValid())
        self.date.setDate(d if d.isValid() else QDate.currentDate().addYears(-30))
        self.date.setEnabled(d.isValid())
        self.known.toggled.connect(self.date.setEnabled)
        lay.addWidget(self.known)
        lay.addWidget(self.date)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.setMinimumWidth(360)

    def value(self) -> str:
        """ISO date, or "" for "not known" (clears it)."""
        return self.date.date().toString("yyyy-MM-dd") if self.known.isChecked() else ""


class PersonPage(QWidget):
    """One person's faces, with the edits that apply to them."""

    back = Signal()

    def __init__(self, session: Session, view: "PeopleView", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.view = view
        self.person: PersonSummary | None = None
        self.photos_loading = False  # the person's photos are being read (background task)
        self._photos_request = 0  # only the latest request's answer is shown
        self._photos_of: int | None = None  # whose photos the grid shows
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.back_button = QToolButton()
        self.back_button.setText("← People")
        self.back_button.setAccessibleName("Back to people")
        self.back_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.back_button.setAutoRaise(True)
        self.back_button.clicked.connect(self.back)
        top.addWidget(self.back_button)
        self.title = heading("", elide=True)
        top.addWidget(self.title)
        self.detail = QLabel()
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top.addSpacing(8)
        top.addWidget(self.detail, 1)
        lay.addLayout(top)
        top = QHBoxLayout()  # the actions on a row of their own: a long name never pushes them out
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(lambda: self.view.rename(self.person))
        self.merge_button = QPushButton("Merge into…")
        self.merge_button.clicked.connect(lambda: self.view.merge(self.person))
        self.hide_button = QPushButton("Hide")
        self.hide_button.clicked.connect(lambda: self.view.toggle_hidden(self.person))
        self.born_button = QPushButton("Birth date…")
        self.born_button.setToolTip("Faces in photos taken before it are never suggested for this "
                                    "person")
        self.born_button.clicked.connect(self.edit_birth_date)
        self.ask_birth_date: Callable[[str, str], str | None] = self._ask_birth_date
        self.forget_button = QPushButton("Forget…")
        self.forget_button.setToolTip("Erase this person's name and face data from the library")
        self.forget_button.clicked.connect(lambda: self.view.forget(self.person))
        for b in (self.rename_button, self.merge_button, self.born_button, self.hide_button,
                  self.forget_button):
            top.addWidget(b)
        top.addStretch()
        lay.addLayout(top)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.photos_store = PhotoThumbnailStore(session.runner, 160, parent=self)
        self.photos_model = PhotoGridModel(self.photos_store, self)
        self.photos = PhotoGridView(160)
        self.photos.setModel(self.photos_model)
        self.photos.photo_activated.connect(self.open_photo)
        self.tabs.addTab(self.photos, "Photos")
        self.year_jump = YearJump(self.photos)
        self.tabs.setCornerWidget(self.year_jump, Qt.Corner.TopRightCorner)
        self.tabs.currentChanged.connect(lambda i: self.year_jump.set_wanted(i == 0))

        faces_tab = QWidget()
        flay = QVBoxLayout(faces_tab)
        flay.setContentsMargins(0, 6, 0, 0)
        actions = QHBoxLayout()
        self.hint = QLabel("Select faces that are not this person:")
        actions.addWidget(self.hint)
        self.reject_button = QPushButton("Not this person")
        self.reject_button.setToolTip("Delete: the selected faces are not this person")
        self.reject_button.clicked.connect(self.reject_selected)
        self.move_button = QPushButton("Move to…")
        self.move_button.clicked.connect(self.move_selected)
        self.cover_button = QPushButton("Use as cover")
        self.cover_button.clicked.connect(self.cover_from_selection)
        for b in (self.reject_button, self.move_button, self.cover_button):
            actions.addWidget(b)
        actions.addStretch()
        flay.addLayout(actions)
        self.faces_model = FaceGridModel(None, None, store=session.thumbnails(96), parent=self)
        self.faces = FaceGridView()
        self.faces.setModel(self.faces_model)
        self.faces.selectionModel().selectionChanged.connect(lambda *a: self._update_buttons())
        self.faces.face_activated.connect(
            lambda fid: self.session.show_face(fid, self.faces_model.face_ids))
        self.faces.menu_for = self.face_menu
        flay.addWidget(self.faces, 1)
        # Delete (and Backspace, as on a Mac) on the selected faces = "Not <name>". A shortcut on the
        # grid, not on the button: setText() would drop a button's shortcut, and Delete in any
        # other field of the window must not reject faces.
        for key in (QKeySequence.StandardKey.Delete, QKeySequence(Qt.Key.Key_Backspace)):
            sc = QShortcut(QKeySequence(key), self.faces)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self.reject_selected)
        self.tabs.addTab(faces_tab, "Faces")
        lay.addWidget(self.tabs, 1)
        self._update_buttons()

    def show_person(self, p: PersonSummary) -> None:
        self.person = p
        self.title.setText(p.name)
        self.title.setAccessibleName(p.name)
        born = f" · born {p.birth_date}" if p.birth_date else ""
        self.detail.setText(f"{fmt_count(p.photos, 'photo')} · {fmt_count(p.faces, 'face')}{born}")
        self.hide_button.setText("Show" if p.hidden else "Hide")
        self.reject_button.setText(f"Not {p.name}")
        self.reject_button.setAccessibleName(f"Not {p.name}")
        self.faces.setAccessibleName(f"Faces of {p.name}")
        self.forget_button.setText("Forget…")
        self.forget_button.setToolTip(f"Erase {p.name}'s name and face data from the library")
        conn = self.session.conn
        if self._photos_of != p.id:  # another person: never their photos under this name
            self.photos_model.set_items([])
            self._photos_of = None
        self.faces_model.set_face_ids(edits.face_ids_of_person(conn, p.id))
        self.load_photos(p.id)
        self.tabs.setTabText(0, f"Photos ({p.photos:,})")
        self.tabs.setTabText(1, f"Faces ({len(self.faces_model.face_ids):,})")
        self._update_buttons()

    def load_photos(self, person_id: int) -> None:
        """Read the person's photos with their dates and sort them, in the background (tens of
        thousands of photos take a noticeable time); the grid keeps what it shows until then."""
        self._photos_request += 1
        request, order = self._photos_request, self.photos_model.order
        self.photos_loading = True
        session = self.session

        def work(ctx) -> list[PhotoItem]:
            with session.connect_worker() as conn:
                items = photo_items(conn, db_photos.photos_of_person(conn, person_id))  # newest first
            return items if order == "newest" else sort_photos(items, order)

        def done(items: list[PhotoItem]) -> None:
            if request != self._photos_request:
                return  # a later request (another person, an edit) is under way
            self.photos_loading = False
            self._photos_of = person_id
            self.photos_model.set_items(items, presorted=order == self.photos_model.order)
            self.tabs.setTabText(0, f"Photos ({len(items):,})")

        def failed(exc: BaseException) -> None:
            if request == self._photos_request:
                self.photos_loading = False
                self.tabs.setTabText(0, "Photos (?)")
                self.view.error(f"Could not read the photos of this person: {exc}")

        self.session.runner.run(work, name="person photos", on_success=done, on_error=failed,
                                owner=self)

    def edit_birth_date(self) -> bool:
        """Set or clear the birth date (an empty answer clears it)."""
        if self.person is None:
            return False
        answer = self.ask_birth_date(self.person.name, self.person.birth_date or "")
        if answer is None:
            return False
        pid, value = self.person.id, answer.strip() or None
        return self.view.run_edit("Set birth date", lambda c: edits.set_birth_date(c, pid, value))

    def _ask_birth_date(self, name: str, current: str) -> str | None:
        dlg = BirthDateDialog(name, current, self)
        return dlg.value() if dlg.exec() == QDialog.DialogCode.Accepted else None

    def open_photo(self, row: int) -> None:
        """The viewer on a photo of this person; ← / → walk through all of them."""
        self.session.show_photos([("photo", pid) for pid in self.photos_model.photo_ids], row)

    def _update_buttons(self) -> None:
        n = len(self.faces.selectionModel().selectedIndexes()) if self.faces.selectionModel() else 0
        self.reject_button.setEnabled(n > 0)
        self.move_button.setEnabled(n > 0)
        self.cover_button.setEnabled(n == 1)

    def reject_selected(self) -> bool:
        ids = self.faces.selected_face_ids()
        if not ids or self.person is None:
            return False
        pid, name = self.person.id, self.person.name
        return self.view.run_edit(f"Not {name}", lambda c: edits.reject(c, ids, pid))

    def move_selected(self) -> bool:
        ids = self.faces.selected_face_ids()
        if not ids or self.person is None:
            return False
        names = [n for n in self.session.people.snapshot.names if n != self.person.name]
        what = "the selected face" if len(ids) == 1 else f"the {len(ids)} selected faces"
        name = self.view.choose_person("Move faces to…", f"Who is {what}? (A new name creates a "
                                       "person.)", names, False)
        if not name:
            return False
        return self.view.run_edit(f"Move to {name}", lambda c: edits.name_faces(c, ids, name))

    def face_menu(self, ids: list[int]) -> QMenu | None:
        """Right-click on the person's faces: the same edits as the buttons, and "Not a face"."""
        if self.person is None:
            return None
        menu = QMenu(self)
        n, name = len(ids), self.person.name
        menu.addAction(f"Not {name}", self.reject_selected)
        menu.addAction("Move to…", self.move_selected)
        if n == 1:
            menu.addAction("Use as cover", self.cover_from_selection)
        menu.addAction("Not a face" if n == 1 else f"These {n} are not faces",
                       lambda: self.view.run_edit("Not a face" if n == 1 else f"{n} boxes are not faces",
                                                  lambda c: edits.mark_not_face(c, ids)))
        return menu

    def cover_from_selection(self) -> bool:
        ids = self.faces.selected_face_ids()
        if len(ids) != 1 or self.person is None:
            return False
        pid = self.person.id
        return self.view.run_edit("Set cover", lambda c: edits.set_cover(c, pid, ids[0]),
                                  rematch=False)


class PeopleView(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        # Injected so tests drive the view without modal dialogs.
        self.choose_person: Callable[[str, str, list[str], bool], str | None] = self._ask_person
        self.ask_new_name: Callable[[str, list[str]], str | None] = self._ask_new_name
        self.confirm_forget: Callable[[str], bool] = self._ask_forget
        self.confirm_merge: Callable[[str], bool] = lambda text: confirm_drop(self, text)
        self.error: Callable[[str], None] = lambda m: QMessageBox.warning(self, "Kinfolk", m)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack)

        page = QWidget()
        play = QVBoxLayout(page)
        play.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(heading("People"))
        top.addStretch()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a person")
        self.filter.setAccessibleName("Find a person")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(260)
        self.filter.textChanged.connect(lambda t: self._refresh_cards())
        top.addWidget(self.filter)
        self.sort = QComboBox()
        self.sort.setAccessibleName("Sort people by")
        for label in SORTS:
            self.sort.addItem(label)
        self.sort.setToolTip("Sort people by how many photos they are in, by name, or by their "
                             "newest photo")
        self.sort.currentIndexChanged.connect(lambda i: self._refresh_cards())
        top.addWidget(QLabel("Sort by:"))
        top.addWidget(self.sort)
        self.show_hidden = QCheckBox("Show hidden")
        self.show_hidden.toggled.connect(lambda on: self._refresh_cards())
        top.addWidget(self.show_hidden)
        play.addLayout(top)
        self.cards_stack = QStackedWidget()
        self.empty = EmptyState("people", "No people yet",
                                "Name a group of faces in “Unnamed groups” and the person appears "
                                "here with all their photos.", "Go to Unnamed groups")
        self.model = CardModel(session.thumbnails(128), self)
        self.cards = CardView(128, drop_kinds=("person",), width=176)  # room for whole names
        self.cards.setAccessibleName("People")
        self.cards.setToolTip("Drag a person onto another to merge them")
        self.cards.cards_dropped.connect(self.merge_dropped)
        self.cards.setModel(self.model)
        self.cards.activated.connect(lambda ix: self.open_person(self.model.cards[ix.row()].id))
        self.cards.doubleClicked.connect(lambda ix: self.open_person(self.model.cards[ix.row()].id))
        self.cards.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.cards.customContextMenuRequested.connect(self._context_menu)
        self.cards_stack.addWidget(self.empty)
        self.cards_stack.addWidget(self.cards)
        play.addWidget(self.cards_stack, 1)
        self.stack.addWidget(page)
        self.list_page = page
        self.person_page = PersonPage(session, self)
        self.person_page.back.connect(self.show_list)
        self.stack.addWidget(self.person_page)

        session.people.loaded.connect(self.show_snapshot)
        self.show_snapshot(session.people.snapshot)

    # -- content ------------------------------------------------------------------------------

    def show_snapshot(self, snap: PeopleSnapshot) -> None:
        self._refresh_cards()
        page = self.person_page
        if self.stack.currentWidget() is page and page.person is not None:
            p = self._person(page.person.id)
            if p is None:
                self.show_list()  # merged away or forgotten
            else:
                page.show_person(p)

    def _refresh_cards(self) -> None:
        snap = self.session.people.snapshot
        self.model.set_cards(person_cards(snap, self.show_hidden.isChecked(), self.filter.text(),
                                          self.sort.currentText()))
        has_any = bool(snap.people)
        self.cards_stack.setCurrentWidget(self.cards if has_any else self.empty)

    def _person(self, pid: int) -> PersonSummary | None:
        return next((p for p in self.session.people.snapshot.people if p.id == pid), None)

    def open_person(self, pid: int) -> None:
        p = self._person(pid)
        if p is None:
            return
        self.person_page.show_person(p)
        self.stack.setCurrentWidget(self.person_page)

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_page)

    # -- edits --------------------------------------------------------------------------------

    def run_edit(self, text: str, op, rematch: bool = True) -> bool:
        return self.session.try_edit(text, op, self.error, rematch=rematch)

    def rename(self, p: PersonSummary | None) -> bool:
        if p is None:
            return False
        names = [n for n in self.session.people.snapshot.names if n != p.name]
        new = self.ask_new_name(p.name, names)
        if not new or new == p.name:
            return False
        return self.run_edit(f"Rename {p.name} to {new}", lambda c: edits.rename(c, p.id, new))

    def merge(self, p: PersonSummary | None) -> bool:
        if p is None:
            return False
        names = [n for n in self.session.people.snapshot.names if n != p.name]
        if not names:
            self.error("There is nobody else to merge with.")
            return False
        target = self.choose_person(f"Merge {p.name} into…", f"{p.name} is the same person as:",
                                    names, True)
        if not target:
            return False
        return self.run_edit(f"Merge {p.name} into {target}",
                             lambda c: edits.merge(c, p.id, edits.resolve_person(c, target)))

    def merge_dropped(self, keys: list[tuple], target: Card) -> bool:
        """People (or groups) dropped on a person's card: after a confirmation, they become that
        person (one undoable step)."""
        return drop_on_person(self.session, keys, target, self.confirm_merge, self.error)

    def toggle_hidden(self, p: PersonSummary | None) -> bool:
        if p is None:
            return False
        return self.run_edit(("Show " if p.hidden else "Hide ") + p.name,
                             lambda c: edits.set_hidden(c, p.id, not p.hidden), rematch=False)

    def forget(self, p: PersonSummary | None) -> bool:
        """Erase the person after confirmation. Not undoable: the undo history is cleared too,
        since undoing an earlier edit must not bring the forgotten name back."""
        if p is None:
            return False
        conn = self.session.conn
        plan = forget.plan(conn, p.id)
        if not self.confirm_forget(plan.describe()):
            return False
        face_ids = edits.face_ids_of_person(conn, p.id)
        self.person_page.forget_button.setEnabled(False)
        path = self.session.path

        def work(ctx):
            from kinfolk.db.connection import opened

            with opened(path) as c:
                return forget.forget(c, plan)

        def done(failures: list[dict[str, str]]) -> None:
            faces = f"{plan.faces:,} face{'s' if plan.faces != 1 else ''}"
            said = f"{p.name} is forgotten: {faces} and the name are erased from the library."
            if failures:
                said += f" {len(failures):,} XMP sidecar(s) could not be cleaned: {failures[0]['message']}"
            self.session.notice.emit(said)
            self.session.undo.clear()
            self.session.drop_thumbnails(face_ids)  # no copy of their faces stays in memory
            self.person_page.forget_button.setEnabled(True)
            self.show_list()
            self.session.people_changed.emit()
            self.session.library_changed.emit()

        def failed(exc: BaseException) -> None:
            self.person_page.forget_button.setEnabled(True)
            self.error(f"Could not forget {p.name}: {exc}")

        self.session.runner.run(work, name="forget person", on_success=done, on_error=failed)
        return True

    def _context_menu(self, pos) -> None:
        ix = self.cards.indexAt(pos)
        if not ix.isValid():
            return
        p = self._person(self.model.cards[ix.row()].id)
        if p is None:
            return
        menu = QMenu(self)
        for text, fn in (("Open", lambda: self.open_person(p.id)), ("Rename…", lambda: self.rename(p)),
                         ("Merge into…", lambda: self.merge(p)),
                         ("Show" if p.hidden else "Hide", lambda: self.toggle_hidden(p))):
            a = QAction(text, menu)
            a.triggered.connect(fn)
            menu.addAction(a)
        menu.exec(self.cards.viewport().mapToGlobal(pos))

    # -- dialogs ------------------------------------------------------------------------------

    def _ask_person(self, title: str, prompt: str, names: list[str], existing_only: bool) -> str | None:
        return ask_name(self, title, prompt, names, existing_only)

    def _ask_new_name(self, current: str, others: list[str]) -> str | None:
        """Rename: the current name, selected, ready to be corrected or replaced."""
        return ask_name(self, f"Rename {current}", "New name (the name of someone else merges the "
                        "two):", others, False, text=current)

    def _ask_forget(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "Forget this person?", text, parent=self)
        ok = box.addButton("Forget", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

