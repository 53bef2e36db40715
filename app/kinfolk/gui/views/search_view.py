"""Search photos by who is in them: with all (or any) of some people, without others, only them;
taken between two dates; in one folder.

The query runs ``core.search.find_photos`` in the background. Names complete from the people you
named; several are separated by commas. Dates may be a year, a month or a day ("2019", "2019-07",
"2019-07-04"): "from" is the start of that period, "to" its end. Results are a grid of photo
thumbnails (decoded lazily from the files) under month headers, sorted like every photo grid
(View → Sort Photos); double-click opens the photo viewer, "Open" the user's own
photo app, "Show in folder" the file manager.
"""

from __future__ import annotations

import os
import re
from typing import Callable

from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QMenu, QPushButton, QStackedWidget, QVBoxLayout,
                               QWidget)

from kinfolk.core.search import PhotoQuery, find_photos, parse_date_bound
from kinfolk.db import folders as db_folders
from kinfolk.db.connection import opened
from kinfolk.gui import desktop, resources
from kinfolk.gui.views.people_data import PeopleSnapshot
from kinfolk.gui.widgets.photo_grid import (PhotoGridModel, PhotoGridView, PhotoItem, PhotoThumbnailStore,
    YearJump, photo_items, sort_photos)
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import EmptyState, fmt_count, heading
from kinfolk.gui.dialogs.file_dialogs import choose_folder

OTHER_FOLDER = "::other-folder::"  # the "Other folder…" entry of the folder filter


def split_names(text: str) -> list[str]:
    return [n for n in (" ".join(part.split()) for part in text.split(",")) if n]


class NamesEdit(QLineEdit):
    """A line edit of comma-separated names, completing the name being typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = QStringListModel(self)
        c = QCompleter(self._names, self)
        c.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        c.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        c.setWidget(self)
        c.activated.connect(self._insert)
        self._completer = c
        self.textEdited.connect(self._tidy)
        self.textEdited.connect(self._complete)

    def _tidy(self) -> None:
        """A comma typed after a completed name (which already ends in ", ") makes no empty name:
        "Jim Parsons, , Kal" becomes "Jim Parsons, Kal"."""
        text, pos = self.text(), self.cursorPosition()
        tidy = re.sub(r",\s*,", ",", text[:pos])
        if tidy != text[:pos]:
            self.setText(tidy + text[pos:])
            self.setCursorPosition(len(tidy))

    def set_names(self, names: list[str]) -> None:
        self._names.setStringList(names)

    def _current_token(self) -> str:
        return self.text()[:self.cursorPosition()].split(",")[-1].lstrip()

    def _complete(self) -> None:
        token = self._current_token()
        if not token:
            self._completer.popup().hide()
            return
        self._completer.setCompletionPrefix(token)
        self._completer.complete()

    def _insert(self, name: str) -> None:
        before = self.text()[:self.cursorPosition()]
        after = self.text()[self.cursorPosition():]
        head = before[:len(before) - len(before.split(",")[-1])]
        new = (head + (" " if head else "") + name + ", ").lstrip()
        self.setText(new + after.lstrip(", "))
        self.setCursorPosition(len(new))


class SearchView(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.searching = False
        self.searched = False  # a search ran (its results, or its error, are on the page)
        # Injected so tests drive the view without touching the desktop.
        self.open_file: Callable[[str], object] = desktop.open_file
        self.reveal: Callable[[str], object] = desktop.reveal
        self.choose_folder: Callable[[], str | None] = self._ask_folder
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        lay.addWidget(heading("Search"))
        form = QFormLayout()
        row = QHBoxLayout()
        self.mode = QComboBox()
        self.mode.addItem("All of", False)
        self.mode.addItem("Any of", True)
        self.mode.setAccessibleName("Match all or any of the people")
        self.mode.currentIndexChanged.connect(lambda i: self._rerun())
        row.addWidget(self.mode)
        self.with_edit = NamesEdit()
        self.with_edit.setPlaceholderText("Names, separated by commas (e.g. Anna, Ben)")
        self.with_edit.setAccessibleName("People in the photo")
        # Deferred: Enter on a completion first inserts the name, then searches with it.
        self.with_edit.returnPressed.connect(lambda: QTimer.singleShot(0, self.search))
        row.addWidget(self.with_edit, 1)
        form.addRow("Photos with:", row)
        self.without_edit = NamesEdit()
        self.without_edit.setPlaceholderText("Optional")
        self.without_edit.setAccessibleName("People not in the photo")
        self.without_edit.returnPressed.connect(lambda: QTimer.singleShot(0, self.search))
        form.addRow("Without:", self.without_edit)
        when = QHBoxLayout()
        self.date_from = QLineEdit()
        self.date_from.setPlaceholderText("e.g. 2019-07")
        self.date_from.setAccessibleName("Taken from (year, month or day)")
        self.date_to = QLineEdit()
        self.date_to.setPlaceholderText("e.g. 2021")
        self.date_to.setAccessibleName("Taken until (year, month or day)")
        for e in (self.date_from, self.date_to):
            e.setClearButtonEnabled(True)
            e.setMaximumWidth(180)
            e.returnPressed.connect(self.search)
        when.addWidget(self.date_from)
        when.addWidget(QLabel("to"))
        when.addWidget(self.date_to)
        when.addSpacing(16)
        when.addWidget(QLabel("In:"))
        self.folder = QComboBox()
        self.folder.setAccessibleName("Only photos in this folder")
        self.folder.setMinimumContentsLength(24)
        self.folder.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.folder.activated.connect(self._folder_chosen)
        when.addWidget(self.folder, 1)
        form.addRow("Taken:", when)
        opts = QHBoxLayout()
        self.only = QCheckBox("Nobody else I named")
        self.only.setToolTip("Only photos where no other named person appears")
        opts.addWidget(self.only)
        opts.addStretch()
        self.search_button = QPushButton(resources.icon("search"), "Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        opts.addWidget(self.search_button)
        form.addRow("", opts)
        lay.addLayout(form)
        status_row = QHBoxLayout()
        self.status = QLabel()
        self.status.setAccessibleName("Search result summary")
        status_row.addWidget(self.status, 1)
        self.view_button = QPushButton("View")
        self.view_button.setToolTip("Show the photo with its faces (Enter)")
        self.view_button.clicked.connect(self.view_selected)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the photo in your usual photo app")
        self.open_button.clicked.connect(self.open_selected)
        self.reveal_button = QPushButton(resources.icon("folder"), "Show in folder")
        self.reveal_button.setToolTip("Show the photo in its folder")
        self.reveal_button.clicked.connect(self.reveal_selected)
        for b in (self.view_button, self.open_button, self.reveal_button):
            status_row.addWidget(b)
        lay.addLayout(status_row)

        self.stack = QStackedWidget()
        self.empty = EmptyState("search", "Find photos by who is in them",
                                "Type the names of people you named: photos with Anna and Ben, "
                                "with Anna or Ben, or with Anna but without Ben. Narrow it down by "
                                "date or folder.")
        self.store = PhotoThumbnailStore(session.runner, 160, parent=self)
        self.model = PhotoGridModel(self.store, self)
        self.grid = PhotoGridView(160)
        self.grid.setAccessibleName("Photos found")
        self.grid.setModel(self.model)
        self.grid.photo_activated.connect(self.view_row)
        self.grid.selectionModel().selectionChanged.connect(lambda *a: self._update_buttons())
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.year_jump = YearJump(self.grid)
        status_row.insertWidget(1, self.year_jump)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.grid)
        lay.addWidget(self.stack, 1)
        session.people.loaded.connect(self.show_snapshot)
        session.library_changed.connect(self.reload_folders)
        self.reload_folders()
        self.show_snapshot(session.people.snapshot)
        self._update_buttons()

    @property
    def results(self) -> list[PhotoItem]:
        """The photos found, in the order shown."""
        return self.model.items

    def show_snapshot(self, snap: PeopleSnapshot) -> None:
        names = snap.names
        self.with_edit.set_names(names)
        self.without_edit.set_names(names)
        if self.stack.currentWidget() is self.empty and not self.searched:
            self._intro(bool(names))

    def _intro(self, have_names: bool) -> None:
        if have_names:
            self.empty.set_text("Find photos by who is in them",
                                "Type the names of people you named: photos with Anna and Ben, "
                                "with Anna or Ben, or with Anna but without Ben. Narrow it down by "
                                "date or folder.")
        else:
            self.empty.set_text("Find photos by who is in them",
                                "Name some people first (in “Unnamed groups”); then search for "
                                "photos with one of them, several together, or without someone.")

    def reload_folders(self) -> None:
        """The folder filter: every folder, any library folder, or another folder under them."""
        current = self.folder.currentData()
        self.folder.clear()
        self.folder.addItem("All folders", None)
        for path in db_folders.list_folders(self.session.conn):
            self.folder.addItem(resources.icon("folder"), path, path)
        if current and self.folder.findData(current) < 0:
            self.folder.addItem(resources.icon("folder"), current, current)
        self.folder.addItem("Other folder…", OTHER_FOLDER)
        i = self.folder.findData(current)
        self.folder.setCurrentIndex(i if i >= 0 else 0)

    def set_folder(self, path: str | None) -> None:
        """Filter by ``path`` (None: every folder)."""
        if path is None:
            self.folder.setCurrentIndex(0)
            return
        path = os.path.abspath(path)
        i = self.folder.findData(path)
        if i < 0:
            self.folder.insertItem(self.folder.count() - 1, resources.icon("folder"), path, path)
            i = self.folder.findData(path)
        self.folder.setCurrentIndex(i)

    def _folder_chosen(self, index: int) -> None:
        if self.folder.itemData(index) != OTHER_FOLDER:
            return
        path = self.choose_folder()
        self.set_folder(path) if path else self.folder.setCurrentIndex(0)

    def _ask_folder(self) -> str | None:
        roots = db_folders.list_folders(self.session.conn)
        return choose_folder(self, "Only photos in this folder", roots[0] if roots else "")

    def focus_query(self) -> None:
        self.with_edit.setFocus()
        self.with_edit.selectAll()

    def query(self) -> PhotoQuery:
        """The query the form describes. Raises ``ValueError`` for a date that is not one."""
        folder = self.folder.currentData()
        return PhotoQuery(people=split_names(self.with_edit.text()),
                          any_of=bool(self.mode.currentData()),
                          exclude=split_names(self.without_edit.text()), only=self.only.isChecked(),
                          date_from=parse_date_bound(self.date_from.text(), end=False),
                          date_to=parse_date_bound(self.date_to.text(), end=True),
                          folder=folder if folder and folder != OTHER_FOLDER else None)

    def _rerun(self) -> None:
        """A changed option ("All of" / "Any of") applies at once to the search on the page."""
        if self.searched and not self.searching:
            self.search()

    def _show_error(self, message: str) -> None:
        """An error replaces the results: old photos must not look like the answer."""
        self.status.setText(f"⚠ {message}")
        self.model.set_items([])
        self.empty.set_text("No search", message)
        self.stack.setCurrentWidget(self.empty)
        self._update_buttons()

    def search(self) -> None:
        try:
            q = self.query()
        except ValueError as exc:
            self._show_error(str(exc))
            return
        if not (q.people or q.exclude or q.date_from or q.date_to or q.folder):
            self.status.setText("Type at least one name, a date or a folder.")
            return
        self.searching = True
        self.searched = True
        self.search_button.setEnabled(False)
        self.status.setText("Searching…")
        path, order = self.session.path, self.model.order

        def work(ctx) -> tuple[list[PhotoItem], str]:
            with opened(path) as conn:
                items = photo_items(conn, [(h.id, h.path, h.taken_at, h.people)
                                           for h in find_photos(conn, q)])
            return (items if order == "newest" else sort_photos(items, order)), order

        self.session.runner.run(work, name="search", on_success=self._show, on_error=self._failed)

    def _show(self, found: tuple[list[PhotoItem], str]) -> None:
        hits, order = found
        self.searching = False
        self.search_button.setEnabled(True)
        self.model.set_items(hits, presorted=order == self.model.order)
        self.status.setText(fmt_count(len(hits), "photo") + " found")
        self.stack.setCurrentWidget(self.grid if hits else self.empty)
        if hits:
            self.grid.setCurrentIndex(self.model.photo_index(0))
        else:
            self.empty.set_text("No photos found", "No photo matches. Check the names and dates, "
                                "or try “Any of”.")
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.searching = False
        self.search_button.setEnabled(True)
        self._show_error(str(exc))

    # -- acting on results --------------------------------------------------------------------

    def _targets(self) -> list[PhotoItem]:
        items = self.grid.selected_items()
        if not items and self.grid.currentIndex().isValid():
            items = [self.grid.current_item()] if self.grid.current_item() else []
        return items

    def _update_buttons(self) -> None:
        n = len(self._targets())
        self.view_button.setEnabled(n == 1)
        self.open_button.setEnabled(0 < n <= 20)
        self.reveal_button.setEnabled(n == 1)

    def view_row(self, row: int) -> None:
        """The viewer on a result; ← / → walk through all results."""
        self.session.show_photos([("photo", pid) for pid in self.model.photo_ids], row)

    def view_selected(self) -> None:
        items = self._targets()
        if items:
            self.view_row(self.model.photo_ids.index(items[0].id))

    def open_selected(self) -> None:
        for it in self._targets()[:20]:
            self.open_file(it.path)

    def reveal_selected(self) -> None:
        items = self._targets()
        if items:
            self.reveal(items[0].path)

    def context_menu(self) -> QMenu:
        """The right-click menu of the results (built here so tests can trigger it)."""
        menu = QMenu(self)
        for text, fn, enabled in (("View", self.view_selected, self.view_button.isEnabled()),
                                  ("Open", self.open_selected, self.open_button.isEnabled()),
                                  ("Show in folder", self.reveal_selected,
                                   self.reveal_button.isEnabled())):
            a = QAction(text, menu)
            a.setEnabled(enabled)
            a.triggered.connect(lambda checked=False, f=fn: f())
            menu.addAction(a)
        return menu

    def _context_menu(self, pos) -> None:
        ix = self.grid.indexAt(pos)
        if ix.isValid() and not self.grid.selectionModel().isSelected(ix):
            self.grid.setCurrentIndex(ix)
        if self._targets():
            self.context_menu().exec(self.grid.viewport().mapToGlobal(pos))
