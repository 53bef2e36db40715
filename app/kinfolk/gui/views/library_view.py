"""The Library view: photo folders, "Scan now", the faces found so far and the photos that failed.

Reads run as background tasks (a fresh connection each) and are rate-limited while a scan runs, so
counts, the face grid and the problem list follow the scan live without slowing it down.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QStackedWidget, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from kinfolk.core.filenames import readable
from kinfolk.core.scan.scanner import ScanSummary
from kinfolk.db import faces as db_faces
from kinfolk.db import folders as db_folders
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import opened, transaction
from kinfolk.gui import resources
from kinfolk.gui.widgets.face_grid import FaceGridModel, FaceGridView
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import EmptyState, Throttle, fmt_count, heading
from kinfolk.gui.dialogs.file_dialogs import choose_folder

REASONS = {
    "missing": "File is gone",
    "empty": "Empty file",
    "permission": "No permission to read",
    "not_image": "Not an image",
    "unsupported": "Format not supported",
    "truncated": "File is incomplete",
    "corrupt": "File is damaged",
    "too_large": "Image is too large",
    "unreadable": "Cannot be read",
    "internal": "Kinfolk failed on this photo",
    "not_a_file": "Not a regular file",
    "broken_link": "Link to a missing file",
    "link_loop": "Link loop",
    "path_too_long": "Path too long",
}

NO_FOLDERS_TEXT = ("Add the folders that hold your photos. Kinfolk looks through them on this "
                   "computer and shows every face it finds here.")


def reason_text(code: str) -> str:
    return REASONS.get(code, code.replace("_", " ").capitalize() or "Unknown problem")


@dataclass
class LibrarySnapshot:
    """What the view shows, read in one background task."""

    counts: dict[str, int]
    face_ids: list[int] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


class LibraryView(QWidget):
    counts_changed = Signal(dict)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        # Injected so tests drive the real view without modal dialogs.
        self.choose_folder: Callable[[], str | None] = self._ask_folder
        self.confirm: Callable[[str, str], bool] = self._ask_confirm
        self._folder_list: list[str] = []
        self._problem_paths: list[str] = []
        self.snapshot: LibrarySnapshot | None = None
        self._refreshing = False
        self._refresh_again = False

        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        top = QHBoxLayout()
        top.addWidget(heading("Library"))
        top.addStretch()
        self.summary = QLabel()
        self.summary.setAccessibleName("Library summary")
        top.addWidget(self.summary)
        lay.addLayout(top)

        # -- folders
        box = QGroupBox("Photo folders")
        blay = QHBoxLayout(box)
        self.folders = QListWidget()
        self.folders.setAccessibleName("Photo folders")
        self.folders.setIconSize(QSize(20, 20))
        self.folders.setMaximumHeight(100)
        self.folders.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.folders.itemSelectionChanged.connect(self._update_buttons)
        self.folders.itemDoubleClicked.connect(
            lambda it: QDesktopServices.openUrl(QUrl.fromLocalFile(self._folder_of(it))))
        blay.addWidget(self.folders, 1)
        buttons = QVBoxLayout()
        self.add_button = QPushButton(resources.icon("folder-add"), "Add folder…")
        self.add_button.setAccessibleName("Add folder")
        self.add_button.clicked.connect(self.add_folder_interactive)
        self.remove_button = QPushButton(resources.icon("remove"), "Remove")
        self.remove_button.setAccessibleName("Remove folder")
        self.remove_button.setToolTip("Stop watching this folder and forget its photos and faces "
                                      "(the photos themselves are not touched)")
        self.remove_button.clicked.connect(self.remove_selected_folder)
        self.scan_button = QPushButton(resources.icon("scan"), "Scan now")
        self.scan_button.setAccessibleName("Scan now")
        self.scan_button.setToolTip("Look for new and changed photos in every folder (F5)")
        self.scan_button.clicked.connect(self.scan_now)
        for b in (self.add_button, self.remove_button, self.scan_button):
            buttons.addWidget(b)
        buttons.addStretch()
        blay.addLayout(buttons)
        lay.addWidget(box)

        # -- faces / problems
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.grid_model = FaceGridModel(session.runner, session.path, parent=self)
        self.grid = FaceGridView()
        self.grid.setModel(self.grid_model)
        self.grid.face_activated.connect(
            lambda fid: self.session.show_face(fid, self.grid_model.face_ids))
        self.faces_empty = EmptyState("face", "No faces yet", NO_FOLDERS_TEXT, "Add folder…")
        self.faces_empty.action.connect(self.add_folder_interactive)
        self.faces_stack = QStackedWidget()
        self.faces_stack.addWidget(self.faces_empty)
        self.faces_stack.addWidget(self.grid)
        self.tabs.addTab(self.faces_stack, "Faces")

        self.problems = QTreeWidget()
        self.problems.setAccessibleName("Photos that could not be read")
        self.problems.setHeaderLabels(["File", "Problem", "Folder", "Details"])
        self.problems.setRootIsDecorated(False)
        self.problems.setUniformRowHeights(True)
        self.problems.setAlternatingRowColors(True)
        self.problems.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.problems.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.problems.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.problems.header().setStretchLastSection(True)
        self.problems.itemDoubleClicked.connect(self._reveal_problem)
        self.problems_empty = EmptyState("library", "No problems",
                                         "Photos that cannot be read (damaged, empty or in an "
                                         "unsupported format) are listed here with the reason.")
        self.problems_stack = QStackedWidget()
        self.problems_stack.addWidget(self.problems_empty)
        self.problems_stack.addWidget(self.problems)
        self.tabs.addTab(self.problems_stack, "Problems")
        lay.addWidget(self.tabs, 1)

        scans = session.scans
        self._live = Throttle(self.refresh, 1.0, self)
        scans.started.connect(self._update_buttons)
        scans.progressed.connect(lambda p: self._live.trigger())
        scans.finished.connect(self._scan_finished)
        scans.failed.connect(lambda msg: (self._update_buttons(), self._live.now()))
        session.library_changed.connect(self.reload)
        self.reload()

    # -- folders ------------------------------------------------------------------------------

    def folder_paths(self) -> list[str]:
        return [self._folder_of(self.folders.item(i)) for i in range(self.folders.count())]

    def _folder_of(self, item: QListWidgetItem) -> str:
        # Items hold an index into _folder_list: Qt strings cannot carry a name that is not UTF-8.
        return self._folder_list[item.data(Qt.ItemDataRole.UserRole)]

    def reload(self) -> None:
        """Folder list now (a quick read), the rest in the background."""
        selected = self._selected_folder()
        self.folders.clear()
        self._folder_list = db_folders.list_folders(self.session.conn)
        for i, path in enumerate(self._folder_list):
            it = QListWidgetItem(resources.icon("folder"), readable(path))
            it.setData(Qt.ItemDataRole.UserRole, i)
            it.setToolTip(readable(path) if os.path.isdir(path) else
                          f"{readable(path)}\n(offline: unplugged or moved? Its photos are kept)")
            if not os.path.isdir(path):
                it.setForeground(self.palette().color(self.palette().ColorRole.PlaceholderText))
            self.folders.addItem(it)
            if path == selected:
                it.setSelected(True)
        self._update_buttons()
        self.refresh()

    def _selected_folder(self) -> str | None:
        items = self.folders.selectedItems()
        return self._folder_of(items[0]) if items else None

    def _update_buttons(self) -> None:
        scanning = self.session.scans.running
        self.remove_button.setEnabled(self._selected_folder() is not None and not scanning)
        self.scan_button.setEnabled(self.folders.count() > 0 and not scanning)

    def add_folder_interactive(self) -> None:
        path = self.choose_folder()
        if path:
            self.add_folder(path)

    def add_folder(self, path: str | os.PathLike, scan: bool = True) -> None:
        """Add a folder to the library and (by default) scan it right away."""
        path = str(Path(path).expanduser().resolve())
        if not os.path.isdir(path):
            QMessageBox.warning(self, "Kinfolk", f"{path} is not a folder.")
            return
        with transaction(self.session.conn):
            db_folders.add_folder(self.session.conn, path)
        self.reload()
        if scan:
            self.scan_now()

    def remove_selected_folder(self) -> None:
        path = self._selected_folder()
        if path is None or self.session.scans.running:
            return
        if not self.confirm("Remove folder?",
                            f"Stop watching {path}?\n\nKinfolk forgets the photos in it and the faces "
                            "found there, including names given to those faces. The photos themselves "
                            "stay where they are."):
            return
        self.remove_button.setEnabled(False)
        self.scan_button.setEnabled(False)

        def work(ctx):
            with self.session.connect_worker() as conn:
                return db_folders.remove_folder(conn, path)

        def done(n: int) -> None:
            self.session.library_changed.emit()

        self.session.runner.run(work, name="remove folder", on_success=done,
                                on_error=lambda e: (self._error("Could not remove the folder", e),
                                                    self.reload()))

    def remove_missing_interactive(self) -> None:
        """Say what removing the missing photos deletes, ask, then remove them (off the GUI thread)."""
        path = self.session.path

        def plan_work(ctx):
            from kinfolk.core.scan import missing

            with opened(path) as conn:
                return missing.plan(conn)

        def ask(plan) -> None:
            if not plan.photo_ids:
                QMessageBox.information(self, "Kinfolk", plan.describe())
                return
            if not self.confirm("Remove missing photos?", plan.describe()):
                return

            def remove_work(ctx):
                from kinfolk.core.scan import missing

                with opened(path) as conn:
                    return missing.remove(conn, plan)

            self.session.runner.run(remove_work, name="remove missing photos",
                                    on_success=lambda n: self.session.library_changed.emit(),
                                    on_error=lambda e: self._error("Could not remove them", e))

        self.session.runner.run(plan_work, name="plan removal", on_success=ask,
                                on_error=lambda e: self._error("Could not read the library", e))

    def scan_now(self) -> None:
        self.session.scans.start()
        self._update_buttons()

    # -- background refresh -------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read counts, faces and problems (one task at a time; a request during one queues one)."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        path = self.session.path

        def work(ctx) -> LibrarySnapshot:

            with opened(path) as conn:
                return LibrarySnapshot(db_photos.counts(conn), db_faces.face_ids(conn),
                                       db_photos.error_photos(conn))

        self.session.runner.run(work, name="library snapshot", on_success=self._show_snapshot,
                                on_error=self._snapshot_failed)

    def _snapshot_failed(self, exc: BaseException) -> None:
        self._refreshing = False
        self.summary.setText(f"Could not read the library: {exc}")

    def _show_snapshot(self, snap: LibrarySnapshot) -> None:
        self._refreshing = False
        self.snapshot = snap
        c = snap.counts
        missing = c.get("missing", 0)
        parts = [fmt_count(c["photos"] - c["errors"] - missing, "photo"), fmt_count(c["faces"], "face")]
        if c["errors"]:
            parts.append(f"{c['errors']:,} could not be read")
        if missing:
            parts.append(f"{missing:,} missing (kept; File ▸ Remove Missing Photos… removes them)")
        self.summary.setText(" · ".join(parts))
        self.grid_model.set_face_ids(snap.face_ids)
        self.faces_stack.setCurrentWidget(self.grid if snap.face_ids else self.faces_empty)
        if not snap.face_ids:
            if self.folders.count() == 0:
                self.faces_empty.set_text("No faces yet", NO_FOLDERS_TEXT)
            elif self.session.scans.running:
                self.faces_empty.set_text("Looking for faces…",
                                          "Faces appear here as the scan finds them.")
            else:
                self.faces_empty.set_text("No faces found",
                                          "None of the photos scanned so far shows a face Kinfolk "
                                          "could find. Try “Scan now” after adding more photos.")
            if self.faces_empty.button:
                self.faces_empty.button.setVisible(self.folders.count() == 0)
        self._show_problems(snap.errors)
        self.tabs.setTabText(1, f"Problems ({len(snap.errors):,})" if snap.errors else "Problems")
        self.counts_changed.emit(c)
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _show_problems(self, errors: list[tuple[str, str, str]]) -> None:
        if self._problem_paths == [e[0] for e in errors]:
            return
        self.problems.clear()
        self._problem_paths = [e[0] for e in errors]  # exact names (Qt strings drop non-UTF-8 bytes)
        warn = resources.icon("warning")
        items = []
        for path, reason, message in errors:
            it = QTreeWidgetItem([readable(os.path.basename(path)), reason_text(reason),
                                  readable(os.path.dirname(path)), message])
            it.setIcon(0, warn)
            it.setData(0, Qt.ItemDataRole.UserRole, len(items))
            it.setData(1, Qt.ItemDataRole.UserRole, reason)
            it.setToolTip(0, readable(path))
            it.setToolTip(3, message)
            items.append(it)
        self.problems.addTopLevelItems(items)
        self.problems_stack.setCurrentWidget(self.problems if errors else self.problems_empty)

    def problem_rows(self) -> list[tuple[str, str, str]]:
        """(path, reason code, shown reason) of each listed problem (for tests and accessibility)."""
        out = []
        for i in range(self.problems.topLevelItemCount()):
            it = self.problems.topLevelItem(i)
            out.append((self._problem_paths[it.data(0, Qt.ItemDataRole.UserRole)],
                        it.data(1, Qt.ItemDataRole.UserRole), it.text(1)))
        return out

    def _reveal_problem(self, item: QTreeWidgetItem) -> None:
        path = self._problem_paths[item.data(0, Qt.ItemDataRole.UserRole)]
        QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))

    def _scan_finished(self, summary: ScanSummary) -> None:
        self._update_buttons()
        self._live.now()

    # -- dialogs ------------------------------------------------------------------------------

    def _ask_folder(self) -> str | None:
        return choose_folder(self, "Add a photo folder", str(Path.home()))

    def _ask_confirm(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        ok = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

    def _error(self, title: str, exc: BaseException) -> None:
        QMessageBox.warning(self, "Kinfolk", f"{title}:\n{exc}")
