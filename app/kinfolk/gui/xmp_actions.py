"""File → Write Names to XMP Sidecars…, File → Keep XMP Sidecars in Sync, and the import summary.

All file work runs in background tasks (``core.sidecar_writer``) with their own connections. With
sync on (library setting ``xmp.sync_sidecars``), every people edit, undo and redo rewrites the
sidecars of the photos it touched; the photos themselves are never written.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core import sidecar_writer
from ..db.connection import connect
from .session import Session

log = logging.getLogger(__name__)


class SidecarActions(QObject):
    def __init__(self, session: Session, window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.last_report: sidecar_writer.WriteReport | None = None
        self.write_action = QAction("&Write Names to XMP Sidecars…", window)
        self.write_action.setStatusTip("Save the names of confirmed faces next to the photos, "
                                       "for digiKam, Lightroom and other apps (photos are not changed)")
        self.write_action.triggered.connect(self.ask_write)
        self.sync_action = QAction("&Keep XMP Sidecars in Sync", window)
        self.sync_action.setCheckable(True)
        self.sync_action.setChecked(sidecar_writer.sync_enabled(session.conn))
        self.sync_action.setStatusTip("Update the sidecars after every naming edit")
        self.sync_action.toggled.connect(self.set_sync)
        self._undo_index = session.undo.index()
        session.undo.indexChanged.connect(self._undo_moved)

    # -- write all ------------------------------------------------------------------------------

    def ask_write(self) -> bool:
        naming = sidecar_writer.sidecar_naming(self.session.conn)
        example = "photo.jpg.xmp" if naming == "ext" else "photo.xmp"
        box = QMessageBox(QMessageBox.Icon.Question, "Write names to XMP sidecars",
                          "Kinfolk will save the names of confirmed faces in a sidecar file next to "
                          f"each photo ({example}), where digiKam, Lightroom and other apps read them. "
                          "Sidecars already there are updated, keeping everything else in them. "
                          "The photos themselves are not changed.",
                          QMessageBox.StandardButton.Cancel, self.window)
        write = box.addButton("Write", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(write)
        box.exec()
        if box.clickedButton() is not write:
            return False
        self.write()
        return True

    def write(self, photo_ids=None) -> None:
        path = self.session.path

        def work(ctx):
            conn = connect(path)
            try:
                return sidecar_writer.write_sidecars(
                    conn, naming=sidecar_writer.sidecar_naming(conn), photo_ids=photo_ids,
                    progress=lambda d, t: ctx.progress(d, t, "Writing sidecars"),
                    cancelled=lambda: ctx.token.cancelled)
            finally:
                conn.close()

        self.window.statusBar().showMessage("Writing names to XMP sidecars…")
        self.session.runner.run(work, name="write sidecars", on_success=self._written,
                                on_error=self._failed, owner=self)

    def _written(self, report: sidecar_writer.WriteReport) -> None:
        self.last_report = report
        self.window.statusBar().showMessage(report.summary(), 15000)
        if report.errors:
            QMessageBox.warning(self.window, "Kinfolk", report.summary() + ":\n" + "\n".join(
                f"{e['sidecar']}: {e['message']}" for e in report.errors[:10]))

    def _failed(self, exc: BaseException) -> None:
        log.warning("writing sidecars failed: %s", exc)
        self.window.statusBar().showMessage(f"Could not write sidecars: {exc}", 15000)

    # -- sync -----------------------------------------------------------------------------------

    def set_sync(self, on: bool) -> None:
        sidecar_writer.set_sync(self.session.conn, on)
        if on:
            self.write()  # bring every sidecar up to date once

    def _undo_moved(self, index: int) -> None:
        """An edit was done, undone or redone: sync the sidecars of what it touched."""
        stack, before = self.session.undo, self._undo_index
        self._undo_index = index
        if not self.sync_action.isChecked() or index == before:
            return
        cmd = stack.command(index if index < before else index - 1)
        changes = getattr(cmd, "change", None)
        changes = changes if isinstance(changes, list) else [changes] if changes else []
        faces = {f for c in changes for f in c.faces}
        persons = {p for c in changes for p in c.persons_before}
        if not faces and not persons:
            return
        path = self.session.path

        def work(ctx):
            conn = connect(path)
            try:
                return sidecar_writer.sync_after_edit(conn, faces, persons)
            finally:
                conn.close()

        self.session.runner.run(work, name="sync sidecars", on_success=self._synced,
                                on_error=self._failed, owner=self)

    def _synced(self, report: sidecar_writer.WriteReport | None) -> None:
        self.last_report = report
        if report is not None and report.errors:
            self.window.statusBar().showMessage(report.summary(), 15000)


def describe_import(summary) -> str | None:
    """One line about names read from photo metadata during a scan, or None if there were none."""
    rep = getattr(summary, "regions", None)
    if rep is None or not (rep.photos_with_regions or rep.errors):
        return None
    return rep.summary()
