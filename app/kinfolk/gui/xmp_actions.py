"""File → Import Names from Photo Metadata…, Write Names to XMP Sidecars…, Keep XMP Sidecars in Sync,
and the summary of what an import (by that action or by a scan) did.

All file work runs in background tasks (``core.sidecar_writer``) with their own connections. With
sync on (library setting ``xmp.sync_sidecars``), every people edit, undo and redo rewrites the
sidecars of the photos it touched; the photos themselves are never written.
"""

from __future__ import annotations

import logging

import os

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QMessageBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from kinfolk.core.metadata import sidecar_writer
from kinfolk.core.metadata.region_import import ImportReport, import_regions
from kinfolk.db.connection import opened
from kinfolk.db.photos import photo_id_at
from kinfolk.gui.session import Session

log = logging.getLogger(__name__)


class SidecarActions(QObject):
    def __init__(self, session: Session, window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.last_report: sidecar_writer.WriteReport | None = None
        self.last_import: ImportReport | None = None
        self.summary_dialog: ImportSummaryDialog | None = None
        self.import_action = QAction("&Import Names from Photo Metadata…", window)
        self.import_action.setStatusTip("Name faces from the regions digiKam, Lightroom, Picasa and "
                                        "other apps saved in or next to your photos")
        self.import_action.triggered.connect(self.import_names)
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

    # -- import -------------------------------------------------------------------------------

    def import_names(self) -> None:
        """Read every photo's metadata again (a scan reads only the photos it scans)."""
        path = self.session.path

        def work(ctx):
            with opened(path) as conn:
                return import_regions(conn, progress=lambda d, t: ctx.progress(d, t, "Importing"),
                                      cancelled=lambda: ctx.token.cancelled)

        self.window.statusBar().showMessage("Reading names from photo metadata…")
        self.session.runner.run(work, name="import names", on_success=self._imported,
                                on_error=self._failed, owner=self)

    def _imported(self, report: ImportReport) -> None:
        self.window.statusBar().showMessage(report.summary(), 15000)
        self.show_import(report, always=True)
        if report.named:
            self.session.people_changed.emit()
            self.session.people.schedule_rematch()  # imported names find the same people elsewhere

    def show_import(self, report: ImportReport | None, always: bool = False) -> None:
        """The summary window, if the import did something worth a look (or ``always``)."""
        self.last_import = report
        if report is None or not (always or report.named or report.conflicts):
            return
        if self.summary_dialog is not None:
            self.summary_dialog.close()
        self.summary_dialog = ImportSummaryDialog(report, self.session, self.window)
        self.summary_dialog.show()

    # -- write all ------------------------------------------------------------------------------

    def ask_write(self) -> bool:
        dlg = WriteDialog(sidecar_writer.sidecar_naming(self.session.conn), self.window)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return False
        sidecar_writer.set_sync(self.session.conn, self.sync_action.isChecked(), dlg.naming())
        self.write()
        return True

    def write(self, photo_ids=None) -> None:
        path = self.session.path

        def work(ctx):
            with opened(path) as conn:
                return sidecar_writer.write_sidecars(
                    conn, naming=sidecar_writer.sidecar_naming(conn), photo_ids=photo_ids,
                    progress=lambda d, t: ctx.progress(d, t, "Writing sidecars"),
                    cancelled=lambda: ctx.token.cancelled)

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
        names = {b.name for c in changes for b in c.persons_before.values() if b}
        if not faces and not persons:
            return
        path = self.session.path

        def work(ctx):
            with opened(path) as conn:
                return sidecar_writer.sync_after_edit(conn, faces, persons, names)

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


class WriteDialog(QDialog):
    """Confirms a write and asks which sidecar naming the user's other app reads."""

    NAMINGS = (("ext", "photo.jpg.xmp (digiKam, darktable)"),
               ("replace", "photo.xmp (Lightroom, Capture One)"))

    def __init__(self, naming: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Write names to XMP sidecars")
        lay = QVBoxLayout(self)
        text = QLabel("Kinfolk will save the names of confirmed faces in a sidecar file next to each "
                      "photo, where digiKam, Lightroom and other apps read them. Sidecars already "
                      "there are updated, keeping everything else in them. The photos themselves "
                      "are not changed.")
        text.setWordWrap(True)
        lay.addWidget(text)
        row = QFormLayout()
        self.combo = QComboBox()
        for key, label in self.NAMINGS:
            self.combo.addItem(label, key)
        self.combo.setCurrentIndex(0 if naming == "ext" else 1)
        row.addRow("Sidecar files:", self.combo)
        lay.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        write = buttons.addButton("Write", QDialogButtonBox.ButtonRole.AcceptRole)
        write.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def naming(self) -> str:
        return self.combo.currentData()


class ImportSummaryDialog(QDialog):
    """What an import did: faces named, conflicts with the user's own decisions, regions without a
    face. Double-click a row to see the photo."""

    def __init__(self, report: ImportReport, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Names from other apps")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 420)
        lay = QVBoxLayout(self)
        people = ", ".join(report.people[:8]) + (" …" if len(report.people) > 8 else "")
        text = (f"<b>{_n(len(report.named), 'face')} named</b> from names saved by other apps"
                + (f" ({people})" if people else "") + ". Kinfolk now looks for these people in your "
                "other photos.")
        if report.conflicts:
            text += (f"<br><b>{_n(len(report.conflicts), 'conflict')}</b>: the file says one name, "
                     "you decided otherwise. Your decision was kept.")
        if report.unmatched:
            text += (f"<br><b>{_n(len(report.unmatched), 'region')} without a face</b> that Kinfolk "
                     "found: kept, not lost.")
        if report.errors:
            text += f"<br>{_n(len(report.errors), 'metadata file')} could not be read."
        if report.conflicts or report.unmatched or report.named:
            text += "<br>Double-click a row to see the photo."
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        lay.addWidget(self.label)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Photo", "Name in the file", "What happened"])
        self.table.setRootIsDecorated(False)
        self.table.setAccessibleName("Imported names")
        rows = ([(c, c["reason"]) for c in report.conflicts]
                + [(u, "no face found here") for u in report.unmatched]
                + [(n, "named" + (f" (was {n['replaced_automatic_match']}, a guess)"
                                  if n.get("replaced_automatic_match") else "")) for n in report.named]
                + [({"photo": e["file"], "name": ""}, e["message"]) for e in report.errors])
        for item, what in rows:
            it = QTreeWidgetItem([os.path.basename(item["photo"]), item["name"], what])
            it.setData(0, Qt.ItemDataRole.UserRole, item["photo"])
            it.setToolTip(0, item["photo"])
            self.table.addTopLevelItem(it)
        for col in range(3):
            self.table.resizeColumnToContents(col)
        self.table.itemDoubleClicked.connect(self._open)
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)

    def _open(self, item: QTreeWidgetItem) -> None:
        photo_id = photo_id_at(self.session.conn, item.data(0, Qt.ItemDataRole.UserRole))
        if photo_id is not None:
            self.session.show_photos([("photo", photo_id)])


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
