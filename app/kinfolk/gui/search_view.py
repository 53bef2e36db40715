"""Search photos by who is in them: with all (or any) of some people, without others, only them.

The query runs ``core.search.find_photos`` in the background. Names complete from the people you
named; several are separated by commas. Double-click a photo to open it in the system viewer.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QStringListModel, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QFormLayout, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QStackedWidget, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from ..core.search import PhotoHit, PhotoQuery, find_photos
from ..db.connection import connect
from .people_data import PeopleSnapshot
from .session import Session
from .widgets import EmptyState, fmt_count, heading


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
        self.textEdited.connect(self._complete)

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
        self.results: list[PhotoHit] = []
        self.searching = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        lay.addWidget(heading("Search"))
        form = QFormLayout()
        row = QHBoxLayout()
        self.mode = QComboBox()
        self.mode.addItem("All of", False)
        self.mode.addItem("Any of", True)
        self.mode.setAccessibleName("Match all or any of the people")
        row.addWidget(self.mode)
        self.with_edit = NamesEdit()
        self.with_edit.setPlaceholderText("Names, separated by commas (e.g. Anna, Ben)")
        self.with_edit.setAccessibleName("People in the photo")
        self.with_edit.returnPressed.connect(self.search)
        row.addWidget(self.with_edit, 1)
        form.addRow("Photos with:", row)
        self.without_edit = NamesEdit()
        self.without_edit.setPlaceholderText("Optional")
        self.without_edit.setAccessibleName("People not in the photo")
        self.without_edit.returnPressed.connect(self.search)
        form.addRow("Without:", self.without_edit)
        opts = QHBoxLayout()
        self.only = QCheckBox("Nobody else I named")
        self.only.setToolTip("Only photos where no other named person appears")
        opts.addWidget(self.only)
        opts.addStretch()
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        opts.addWidget(self.search_button)
        form.addRow("", opts)
        lay.addLayout(form)
        self.status = QLabel()
        self.status.setAccessibleName("Search result summary")
        lay.addWidget(self.status)

        self.stack = QStackedWidget()
        self.empty = EmptyState("search", "Find photos by who is in them",
                                "Type the names of people you named: photos with Anna and Ben, "
                                "with Anna or Ben, or with Anna but without Ben.")
        self.table = QTreeWidget()
        self.table.setAccessibleName("Photos found")
        self.table.setHeaderLabels(["Photo", "Taken", "People", "Folder"])
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        for col in (0, 1, 2):
            self.table.header().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemDoubleClicked.connect(
            lambda it: QDesktopServices.openUrl(QUrl.fromLocalFile(it.data(0, Qt.ItemDataRole.UserRole))))
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        lay.addWidget(self.stack, 1)
        session.people.loaded.connect(self.show_snapshot)
        self.show_snapshot(session.people.snapshot)

    def show_snapshot(self, snap: PeopleSnapshot) -> None:
        names = snap.names
        self.with_edit.set_names(names)
        self.without_edit.set_names(names)
        if not names:
            self.empty.set_text("Find photos by who is in them",
                                "Name some people first (in “Unnamed groups”); then search for "
                                "photos with one of them, several together, or without someone.")

    def focus_query(self) -> None:
        self.with_edit.setFocus()
        self.with_edit.selectAll()

    def query(self) -> PhotoQuery:
        return PhotoQuery(people=split_names(self.with_edit.text()), any_of=bool(self.mode.currentData()),
                          exclude=split_names(self.without_edit.text()), only=self.only.isChecked())

    def search(self) -> None:
        q = self.query()
        if not q.people and not q.exclude:
            self.status.setText("Type at least one name.")
            return
        self.searching = True
        self.search_button.setEnabled(False)
        self.status.setText("Searching…")
        path = self.session.path

        def work(ctx) -> list[PhotoHit]:
            conn = connect(path)
            try:
                return find_photos(conn, q)
            finally:
                conn.close()

        self.session.runner.run(work, name="search", on_success=self._show, on_error=self._failed)

    def _show(self, hits: list[PhotoHit]) -> None:
        self.searching = False
        self.search_button.setEnabled(True)
        self.results = hits
        self.table.setSortingEnabled(False)
        self.table.clear()
        items = []
        for h in hits:
            it = QTreeWidgetItem([os.path.basename(h.path), (h.taken_at or "")[:10],
                                  ", ".join(h.people), os.path.dirname(h.path)])
            it.setData(0, Qt.ItemDataRole.UserRole, h.path)
            it.setToolTip(0, h.path)
            items.append(it)
        self.table.addTopLevelItems(items)
        self.table.setSortingEnabled(True)
        self.status.setText(fmt_count(len(hits), "photo") + " found")
        self.stack.setCurrentWidget(self.table if hits else self.empty)
        if not hits:
            self.empty.set_text("No photos found", "No photo matches these people. Check the names, "
                                "or try “Any of”.")

    def _failed(self, exc: BaseException) -> None:
        self.searching = False
        self.search_button.setEnabled(True)
        self.status.setText(f"⚠ {exc}")
