"""The main window: sidebar of views, the views, menus with shortcuts, and the scan in the status bar.

Views are pages of a ``QStackedWidget`` keyed by name ("library", "people", "groups", "suggestions",
"search"); ``add_page`` lets later views slot in. After every finished scan the window runs
``Library.after_scan`` (match to named people, then group the rest) as a background task.
How the user leaves the views (thumbnail size, photo and people sort orders, splitters) is saved
in QSettings when it changes (``preferences.ViewChoices``) and restored at start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QSplitter, QStackedWidget, QWidget)

from kinfolk.core.people import edits
from kinfolk.core.people.thresholds import thresholds_for
from kinfolk.core.scan.scanner import ScanSummary
from kinfolk.db import folders as db_folders
from kinfolk.db.connection import opened, transaction
from kinfolk.gui import preferences as prefs
from kinfolk.gui import resources
from kinfolk.gui.widgets.edit_notice import EditNotice
from kinfolk.gui.views.groups_view import GroupsView
from kinfolk.gui.views.library_view import LibraryView
from kinfolk.gui.dialogs.model_setup import SetupInfo, describe_setup, plain_quality
from kinfolk.gui.views.people_data import PeopleSnapshot
from kinfolk.gui.views.people_view import PeopleView
from kinfolk.gui.views.photo_viewer import PhotoViewer
from kinfolk.gui.widgets.photo_grid import ORDERS
from kinfolk.gui.widgets.scan_status import ScanStatus, describe_organize, describe_summary
from kinfolk.gui.views.search_view import SearchView
from kinfolk.gui.session import Session
from kinfolk.gui.dialogs.settings_dialog import SettingsDialog
from kinfolk.gui.views.suggestions_view import SuggestionsView
from kinfolk.gui.dialogs.welcome_dialog import WelcomeDialog
from kinfolk.gui.xmp_actions import SidecarActions, describe_import

log = logging.getLogger(__name__)

PAGES = (  # key, sidebar label, icon, shortcut
    ("library", "Library", "library", "Ctrl+1"),
    ("people", "People", "people", "Ctrl+2"),
    ("groups", "Unnamed groups", "groups", "Ctrl+3"),
    ("suggestions", "Suggestions", "suggestions", "Ctrl+4"),
    ("search", "Search", "search", "Ctrl+5"),
)


class MainWindow(QMainWindow):
    def __init__(self, session: Session, settings: QSettings | None = None) -> None:
        super().__init__()
        self.session = session
        self.settings = settings or QSettings()
        self.undo_stack = session.undo
        self.setup_info: SetupInfo | None = None
        self.organizing = False
        self._closing = False
        self._restoring = False  # applying saved view choices: nothing to save back
        self.viewer: PhotoViewer | None = None
        self.setWindowTitle("Kinfolk")
        self.setWindowIcon(resources.app_icon())
        self.resize(1100, 720)
        self.setMinimumSize(QSize(720, 480))
        self.session.runner.error_handler = self._task_failed

        # -- sidebar + pages
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName("Views")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.sidebar.setSpacing(2)
        self.sidebar.setMinimumWidth(170)
        self.sidebar.setMaximumWidth(280)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self.library_view = LibraryView(session)
        self.people_view = PeopleView(session)
        self.groups_view = GroupsView(session)
        self.suggestions_view = SuggestionsView(session)
        self.search_view = SearchView(session)
        views = {"library": self.library_view, "people": self.people_view,
                 "groups": self.groups_view, "suggestions": self.suggestions_view,
                 "search": self.search_view}
        for key, label, icon, _ in PAGES:
            self.add_page(key, label, icon, views[key])
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sidebar.installEventFilter(self)  # typing after a click on the sidebar: to the page
        self.sidebar.itemClicked.connect(
            lambda it: it.data(Qt.ItemDataRole.UserRole) == "people" and self.people_view.show_list())
        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([190, 910])
        self.setCentralWidget(self.splitter)

        # -- status bar
        self.scan_status = ScanStatus(session.scans)
        self.statusBar().addWidget(self.scan_status)
        self.model_label = QLabel()
        self.model_label.setAccessibleName("Face model in use")
        self.statusBar().addPermanentWidget(self.model_label)

        self._build_menus()
        self.groups_view.review_button.clicked.connect(self.review_single_faces)
        self.notice = EditNotice(self.undo_stack)
        self.statusBar().addWidget(self.notice, 1)
        session.edited.connect(self.notice.show_notice)
        session.scans.finished.connect(self._scan_finished)
        session.scans.failed.connect(self._scan_failed)
        session.people.loaded.connect(self._people_loaded)
        session.photo_requested.connect(self.open_viewer)
        session.notice.connect(lambda text: self.statusBar().showMessage(text, 20000))
        if session.read_only:
            self.statusBar().showMessage(f"Read-only: {session.path.parent} cannot be written, so "
                                         "the library can be viewed but not changed.")
        self.restore_state()
        self.refresh_setup()
        session.people.reload()

    # -- pages --------------------------------------------------------------------------------

    def add_page(self, key: str, label: str, icon: str, widget: QWidget) -> None:
        """Add or replace the page ``key`` (phase-2 views replace the placeholders)."""
        if key in self.pages:
            i = list(self.pages).index(key)
            old = self.pages[key]
            self.stack.insertWidget(i, widget)
            self.stack.removeWidget(old)
            old.deleteLater()
            self.pages[key] = widget
            return
        self.pages[key] = widget
        self.stack.addWidget(widget)
        it = QListWidgetItem(resources.icon(icon), label)
        it.setData(Qt.ItemDataRole.UserRole, key)
        it.setSizeHint(QSize(0, 34))
        self.sidebar.addItem(it)

    def _people_loaded(self, snap: PeopleSnapshot) -> None:
        """Sidebar labels carry counts: "People (12)", "Suggestions (5)"."""
        counts = {"people": len(snap.visible_people()), "groups": len(snap.clusters),
                  "suggestions": len(snap.suggestions)}
        for i, (key, label, _, _) in enumerate(PAGES):
            if key in counts:
                item = self.sidebar.item(i)
                item.setText(f"{label} ({counts[key]:,})" if counts[key] else label)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, item.text())

    def open_viewer(self, items: list, index: int = 0, review: bool = False) -> PhotoViewer:
        """The photo viewer (one window, reused) on ``items[index]``."""
        if self.viewer is None:
            self.viewer = PhotoViewer(self.session, self, self.settings)
        self.viewer.show()
        self.viewer.show_items(items, index, review=review)
        self.viewer.raise_()
        self.viewer.activateWindow()
        return self.viewer

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Letters typed while the sidebar has the focus go to the page's name box (if it has
        one), so "click Unnamed groups, type a name, Enter" works."""
        if (obj is self.sidebar and event.type() == QEvent.Type.KeyPress and event.text()
                and event.text().isprintable() and not event.text().isspace()
                and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier):
            page = self.stack.currentWidget()
            target = page.type_target() if hasattr(page, "type_target") else None
            if target is not None:
                target.setFocus()
                target.insert(event.text())
                return True
        return super().eventFilter(obj, event)

    def photo_grids(self) -> list:
        """Every photo grid (a person's photos, search results): they share size and order."""
        return [self.people_view.person_page.photos, self.search_view.grid]

    def zoom_photos(self, steps: int) -> int:
        """Larger or smaller photo thumbnails, in every photo grid (a person's photos, search)."""
        side = 0
        for grid in self.photo_grids():
            side = grid.zoom(steps)
        self.save_view_choices()
        return side

    def sort_photos(self, order: str) -> None:
        """Every photo grid newest first, oldest first (both under month headers) or by file name."""
        if order not in ORDERS:
            return
        for grid in self.photo_grids():
            grid.set_order(order)
        self.photo_order_actions[order].setChecked(True)
        self.save_view_choices()

    def view_choices(self) -> prefs.ViewChoices:
        pv = self.people_view
        return prefs.ViewChoices(photo_size=pv.person_page.photos.delegate.side,
                                 photo_order=pv.person_page.photos_model.order,
                                 people_sort=pv.sort.currentText(),
                                 people_show_hidden=pv.show_hidden.isChecked())

    def save_view_choices(self) -> None:
        if not self._restoring:
            prefs.save_view(self.view_choices(), self.settings)

    def apply_view_choices(self, v: prefs.ViewChoices) -> None:
        """Show the views as ``v`` says (values the views do not know are ignored)."""
        self._restoring = True
        try:
            for grid in self.photo_grids():
                grid.set_side(v.photo_size)
            self.sort_photos(v.photo_order)
            pv = self.people_view
            if pv.sort.findText(v.people_sort) >= 0:
                pv.sort.setCurrentText(v.people_sort)
            pv.show_hidden.setChecked(v.people_show_hidden)
        finally:
            self._restoring = False

    def review_single_faces(self) -> PhotoViewer | None:
        """The viewer on every face that is in no group, one by one: type a name and Enter (next
        face), Enter alone skips, Ctrl+Delete = not a face, Esc ends."""
        ids = edits.single_face_ids(self.session.conn)
        if not ids:
            self.statusBar().showMessage("Every face is in a group or named: nothing to review.", 8000)
            return None
        return self.open_viewer([("face", f) for f in ids], 0, review=True)

    def show_page(self, key: str) -> None:
        self.sidebar.setCurrentRow(list(self.pages).index(key))
        if key == "people":  # "People" always means the list of people (not the last person)
            self.people_view.show_list()

    def current_page(self) -> str:
        return list(self.pages)[max(0, self.stack.currentIndex())]

    # -- menus --------------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut=None, icon: str | None = None,
                tip: str | None = None) -> QAction:
        a = QAction(text, self)
        if icon:
            a.setIcon(resources.icon(icon))
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)  # shortcuts work even with the menu bar hidden (e.g. on some desktops)
        return a

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        self.add_folder_action = self._action("&Add Folder…", self.library_view.add_folder_interactive,
                                              QKeySequence.StandardKey.Open, "folder-add",
                                              "Add a folder of photos to the library")
        self.scan_action = self._action("&Scan Now", self.scan_now, "F5", "scan",
                                        "Look for new and changed photos")
        self.pause_action = self._action("&Pause Scan", self.scan_status.toggle_pause, "Ctrl+P",
                                         "pause")
        self.stop_action = self._action("S&top Scan", self.session.scans.cancel, "Ctrl+.", "stop")
        self.remove_missing_action = self._action(
            "Remove &Missing Photos…", self.library_view.remove_missing_interactive, None, None,
            "Remove photos whose files were not found at the last scan (asks first)")
        self.settings_action = self._action("Se&ttings…", self.open_settings,
                                            QKeySequence.StandardKey.Preferences, "settings")
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        if self.quit_action.shortcut().isEmpty():  # no platform standard (Windows, some X11)
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for a in (self.add_folder_action, self.scan_action, self.pause_action, self.stop_action):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.remove_missing_action)
        self.sidecars = SidecarActions(self.session, self)
        m.addAction(self.sidecars.import_action)
        m.addAction(self.sidecars.write_action)
        m.addAction(self.sidecars.sync_action)
        m.addSeparator()
        m.addAction(self.settings_action)
        m.addSeparator()
        m.addAction(self.quit_action)

        m = mb.addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        m.addAction(self.undo_action)
        m.addAction(self.redo_action)
        m.addSeparator()
        self.find_action = self._action("&Find Photos…", self.find, QKeySequence.StandardKey.Find,
                                        "search")
        m.addAction(self.find_action)
        m.addSeparator()
        self.regroup_action = self._action("&Group Faces Again", self.organize,
                                           tip="Match faces to named people and regroup the rest")
        self.unhide_action = self._action("Show &Hidden Strangers…", self.unhide_strangers,
                                          tip="Bring back the faces of groups you hid")
        self.review_action = self._action("Review Faces in &No Group…", self.review_single_faces,
                                          tip="Name faces that are in no group, one by one")
        m.addAction(self.review_action)
        m.addAction(self.regroup_action)
        m.addAction(self.unhide_action)

        m = mb.addMenu("&View")
        self.zoom_in_action = self._action("&Larger Photos", lambda: self.zoom_photos(1),
                                           QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = self._action("&Smaller Photos", lambda: self.zoom_photos(-1),
                                            QKeySequence.StandardKey.ZoomOut)
        m.addAction(self.zoom_in_action)
        m.addAction(self.zoom_out_action)
        sort_menu = m.addMenu("Sort &Photos")
        group = QActionGroup(self)
        self.photo_order_actions: dict[str, QAction] = {}
        for order, label in ORDERS.items():
            a = self._action(label, lambda checked=False, o=order: self.sort_photos(o),
                             tip="Newest or oldest first under a heading per month" if order != "name"
                             else "By file name, without dates")
            a.setCheckable(True)
            a.setChecked(order == "newest")
            group.addAction(a)
            sort_menu.addAction(a)
            self.photo_order_actions[order] = a
        m.addSeparator()
        self.view_actions = {}
        for key, label, icon, shortcut in PAGES:
            # Search opens ready to type names (as Ctrl+F): typing after Ctrl+5 went to the
            # All of / Any of box and silently switched it.
            go = (lambda checked=False: self.find()) if key == "search" else (lambda checked=False, k=key: self.show_page(k))
            a = self._action(label, go, shortcut, icon)
            m.addAction(a)
            self.view_actions[key] = a

        m = mb.addMenu("&Help")
        self.guide_action = self._action("Kinfolk &User Guide", self.show_user_guide,
                                         QKeySequence.StandardKey.HelpContents)
        m.addAction(self.guide_action)
        m.addAction(self._action("Where Is My Data?", self.show_privacy))
        about = self._action("&About Kinfolk", self.show_about)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        m.addAction(about)

        scans = self.session.scans
        self._scan_actions()
        scans.started.connect(self._scan_actions)
        scans.finished.connect(lambda s: self._scan_actions())
        scans.failed.connect(lambda s: self._scan_actions())
        scans.paused_changed.connect(lambda p: self._scan_actions())

    def _scan_actions(self) -> None:
        running = self.session.scans.running
        self.scan_action.setEnabled(not running)
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)
        self.pause_action.setText("&Resume Scan" if self.session.scans.paused else "&Pause Scan")

    # -- actions ------------------------------------------------------------------------------

    def scan_now(self) -> None:
        if not db_folders.list_folders(self.session.conn):
            self.show_page("library")
            self.library_view.add_folder_interactive()
            return
        self.library_view.scan_now()

    def find(self) -> None:
        self.show_page("search")
        page = self.pages["search"]
        focus = getattr(page, "focus_query", None)
        if callable(focus):
            focus()

    def maybe_show_welcome(self) -> WelcomeDialog | None:
        """First run (no folders): the welcome dialog, non-blocking. Returns it (tests drive it)."""
        if db_folders.list_folders(self.session.conn):
            return None
        dlg = WelcomeDialog(self.session.runner, self.session.path, self.session.scans.machine,
                            self.session.models_dir, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self._welcome_done(dlg.chosen_folders()))
        dlg.models.setup_changed.connect(self._show_setup)
        dlg.open()
        return dlg

    def _welcome_done(self, folders: list[str]) -> None:
        with transaction(self.session.conn):
            for f in folders:
                db_folders.add_folder(self.session.conn, f)
        self.library_view.reload()
        self.show_page("library")
        self.library_view.scan_now()

    def _calibrate(self, model_id: str):
        """Background task body: thresholds measured on the confirmed faces (own connection)."""
        from kinfolk.core.people.calibration import calibrate

        with self.session.connect_worker() as conn:
            return calibrate(conn, model_id)

    def open_settings(self) -> SettingsDialog:
        conn = self.session.conn
        model_id = self.setup_info.model_id if self.setup_info else None
        dlg = SettingsDialog(self.session.runner, db_folders.list_folders(conn), self.session.scans.machine,
                             prefs.MIN_FACE_SIZE.read(conn), model_id,
                             lambda mid: thresholds_for(self.session.conn, mid),
                             self.session.models_dir, self, calibrate=self._calibrate)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self.apply_settings(dlg.result_settings()))
        dlg.open()
        return dlg

    def apply_settings(self, r) -> None:
        conn = self.session.conn
        prefs.MIN_FACE_SIZE.write(conn, r.min_face_size)
        if r.thresholds is not None and r.model_id:
            prefs.write_thresholds(conn, r.model_id, r.thresholds)
        if r.machine_changed:
            prefs.save_machine(r.machine, self.settings)
            self.session.scans.set_machine(r.machine)
            self.refresh_setup()
        with transaction(conn):
            for f in r.folders_added:
                db_folders.add_folder(conn, f)
        for f in r.folders_removed:
            # Confirmed in the dialog; large folders take a while: off the GUI thread.
            self.session.runner.run(lambda ctx, f=f: _remove_folder(self.session.path, f),
                                    name="remove folder",
                                    on_success=lambda n: self.session.library_changed.emit())
        self.library_view.reload()
        if (r.folders_added or r.machine_changed) and db_folders.list_folders(conn):
            self.library_view.scan_now()

    def refresh_setup(self) -> None:
        machine, models_dir = self.session.scans.machine, self.session.models_dir
        self.session.runner.run(lambda ctx: describe_setup(machine, models_dir), name="describe models",
                                on_success=self._show_setup,
                                on_error=lambda e: self.model_label.setText(f"Models: {e}"))

    def _show_setup(self, info: SetupInfo) -> None:
        self.setup_info = info
        spec = next((sp for sp in info.installed if sp.id == info.pack_id), None)
        quality = plain_quality(None if info.is_dlib else spec) if spec or info.is_dlib else "?"
        self.model_label.setText(f"Face model: {quality.lower()} · {info.provider}")
        self.model_label.setToolTip(f"Face model: {info.pack_name}\nRuns on: {info.provider}\n"
                                    f"License: {info.license}")

    def show_privacy(self) -> None:
        QMessageBox.information(
            self, "Where is my data?",
            "Everything Kinfolk knows stays on this computer, in one file:\n\n"
            f"{self.session.path}\n\n"
            "Your photos are never uploaded or changed. The library holds the list of photos, the "
            "faces found in them (position, a small face picture and a face signature) and the names "
            "you gave. “Forget this person” erases a person's faces and name from the file for good.")

    def show_user_guide(self):
        """The user guide (docs/user-guide.md), rendered in a window of its own."""
        from kinfolk.gui.dialogs.user_guide import UserGuide

        if getattr(self, "guide", None) is None:
            self.guide = UserGuide(self)
        self.guide.show()
        self.guide.raise_()
        return self.guide

    def show_about(self) -> None:
        from kinfolk import __version__ as version  # noqa: PLC0415 (only needed here)

        QMessageBox.about(self, "About Kinfolk",
                          f"<h3>Kinfolk {version}</h3><p>Organize your photos by the people in "
                          "them. Offline: nothing leaves this computer.</p>")

    # -- scan outcomes ------------------------------------------------------------------------

    def _scan_finished(self, summary: ScanSummary) -> None:
        imported = describe_import(summary)
        said = describe_summary(summary).rstrip(".") + (f". {imported}" if imported else "")
        self.statusBar().showMessage(said.rstrip(".") + ".", 15000)
        if self.session.scans.backend_description:
            self.model_label.setToolTip(self.model_label.toolTip().split("\nLast scan:")[0]
                                        + f"\nLast scan: {self.session.scans.backend_description}")
        if not summary.cancelled and not self._closing:
            self.organize(said)
            self.sidecars.show_import(summary.regions)

    def _scan_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Kinfolk", f"The scan stopped:\n{message}")

    def organize(self, scan_said: str = "") -> None:
        """Match new faces to named people, then group the rest (after each scan). ``scan_said``,
        the scan's summary, stays in the status bar with what grouping found: the scan's own
        message was replaced at once by "Grouping faces…", so "2 could not be read" went unseen."""
        if self.organizing:
            return
        self.organizing = True
        path = self.session.path

        def work(ctx):
            from kinfolk.core.library import Library

            with Library(path) as library:
                return library.after_scan(cancel=ctx.token)

        def done(report) -> None:
            self.organizing = False
            self.statusBar().showMessage(
                (f"{scan_said}. " if scan_said else "") + describe_organize(report), 30000)
            self.session.people_changed.emit()

        def failed(exc: BaseException) -> None:
            self.organizing = False
            log.warning("grouping faces failed: %s", exc)
            self.statusBar().showMessage(f"Could not group faces: {exc}", 15000)

        self.statusBar().showMessage((f"{scan_said}. " if scan_said else "") + "Grouping faces…")
        self.session.runner.run(work, name="organize", on_success=done, on_error=failed,
                                on_cancelled=lambda: setattr(self, "organizing", False))

    def unhide_strangers(self):
        """The hidden strangers' faces, to bring back some or all (then they are regrouped)."""
        from kinfolk.gui.dialogs.hidden_faces import HiddenFacesDialog

        if getattr(self, "hidden_dialog", None) is None:
            self.hidden_dialog = HiddenFacesDialog(self.session, self.organize, self)
        self.hidden_dialog.reload()
        self.hidden_dialog.show()
        self.hidden_dialog.raise_()
        return self.hidden_dialog

    def _task_failed(self, name: str, exc: BaseException) -> None:
        log.error("%s failed", name, exc_info=exc)
        if not self._closing:
            self.statusBar().showMessage(f"{name} failed: {exc}", 15000)

    # -- state --------------------------------------------------------------------------------

    def restore_state(self) -> None:
        s = self.settings
        geo = s.value(prefs.K_GEOMETRY)
        if isinstance(geo, (QByteArray, bytes)):
            self.restoreGeometry(geo)
        state = s.value(prefs.K_STATE)
        if isinstance(state, (QByteArray, bytes)):
            self.restoreState(state)
        split = s.value(prefs.K_SPLITTER)
        if isinstance(split, (QByteArray, bytes)):
            self.splitter.restoreState(split)
        split = s.value(prefs.K_GROUPS_SPLITTER)
        if isinstance(split, (QByteArray, bytes)):
            self.groups_view.split.restoreState(split)
        self.apply_view_choices(prefs.load_view(s))
        pv = self.people_view
        pv.sort.currentIndexChanged.connect(lambda i: self.save_view_choices())
        pv.show_hidden.toggled.connect(lambda on: self.save_view_choices())
        view = s.value(prefs.K_VIEW, "library")
        self.show_page(view if view in self.pages else "library")

    def save_state(self) -> None:
        s = self.settings
        s.setValue(prefs.K_GEOMETRY, self.saveGeometry())
        s.setValue(prefs.K_STATE, self.saveState())
        s.setValue(prefs.K_SPLITTER, self.splitter.saveState())
        s.setValue(prefs.K_VIEW, self.current_page())
        s.setValue(prefs.K_GROUPS_SPLITTER, self.groups_view.split.saveState())
        prefs.save_view(self.view_choices(), s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        if self.viewer is not None:
            self.viewer.close()
        self.save_state()
        if self.session.scans.running:
            self.statusBar().showMessage("Stopping the scan…")
            QApplication.processEvents()
        self.session.close()
        event.accept()


def _remove_folder(library: Path, folder: str) -> int:

    with opened(library) as conn:
        return db_folders.remove_folder(conn, folder)

