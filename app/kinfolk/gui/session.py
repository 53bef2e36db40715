"""What every view of one open library shares: its path, a GUI-thread connection, the task runner
and the scan controller. Views take a ``Session`` instead of reaching for globals."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from kinfolk.db.connection import (LibraryCorruptError, LibraryError, LibraryFullError, SchemaTooNewError,
                                   connect, is_read_only, opened, translate_error)
from kinfolk.gui.widgets.face_grid import ThumbnailStore
from kinfolk.gui.views.people_data import PeopleData
from kinfolk.gui.scan_controller import ScanController
from kinfolk.gui.tasks import TaskRunner
from kinfolk.gui.undo import Operation, attach_consequences, perform, top_command

log = logging.getLogger(__name__)


class Session(QObject):
    """Owns the library connection used on the GUI thread (quick reads and small writes only; anything
    that can take long runs as a task with its own connection)."""

    library_changed = Signal()  # folders or photos changed outside a scan: views refresh
    people_changed = Signal()  # names, groups or suggestions changed (naming, undo, organize)
    edited = Signal(str)  # what an edit (or matching after it) did, in words: the window says it
    photo_requested = Signal(list, int)  # viewer items [("photo"|"face", id)], index: the window shows them
    notice = Signal(str)  # something the user should know that needs no answer (status bar)

    def __init__(self, library: str | os.PathLike, models_dir: str | os.PathLike | None = None,
                 parent: QObject | None = None, workers: int | None = None) -> None:
        super().__init__(parent)
        self.path = Path(library)
        self.models_dir = models_dir
        self.conn: sqlite3.Connection = connect(self.path, check=True)
        self.runner = TaskRunner(parent=self)
        self.scans = ScanController(self.runner, self.path, self, models_dir=models_dir,
                                    workers=workers)
        self.undo = QUndoStack(self)
        self.people = PeopleData(self.runner, self.path, self)
        self.people_changed.connect(self.people.reload)
        self.people.problem.connect(self.notice)
        # Faces matching recognizes after an edit are undone with that edit.
        self.people.anchor = lambda: top_command(self.undo)
        self.people.rematched.connect(self._rematched)
        self._stores: dict[int, ThumbnailStore] = {}

    def thumbnails(self, size: int) -> ThumbnailStore:
        """The shared face-thumbnail store for one display size."""
        if size not in self._stores:
            self._stores[size] = ThumbnailStore(self.runner, self.path, size, parent=self)
        return self._stores[size]

    def drop_thumbnails(self, face_ids) -> None:
        for store in self._stores.values():
            store.invalidate(face_ids)

    def edit(self, text: str, op: Operation, rematch: bool = True):
        """Run a people edit on the GUI connection, undoably; views refresh, matching re-runs.
        Raises ``PeopleError`` (nothing changed) for a request that cannot be done."""
        def changed() -> None:
            self.people_changed.emit()
            if rematch:
                self.people.schedule_rematch()

        change = perform(self.undo, text, lambda: self.conn, self._retrying(text, op), changed)
        notes = [c.note for c in (change if isinstance(change, list) else [change]) if c.note]
        self.edited.emit(" ".join([f"{text}."] + notes))
        return change

    @property
    def read_only(self) -> bool:
        """The library's folder or file cannot be written: it can be viewed, edits are refused."""
        return is_read_only(self.conn)

    def _retrying(self, text: str, op: Operation) -> Operation:
        """``op``, run again once on a reopened connection if the library fails under it (a disk
        I/O error, lost locks, busy): the edit is never dropped silently. A full disk, a damaged
        or too new file are not retried (trying again cannot help); every failure propagates."""
        def run(conn: sqlite3.Connection):
            try:
                return op(conn)
            except (sqlite3.Error, LibraryError) as exc:
                err = translate_error(exc, self.path)
                if isinstance(err, (LibraryFullError, LibraryCorruptError, SchemaTooNewError)):
                    raise err from exc
                log.warning("%s failed (%s); reopening the library and trying again", text, exc)
                self.reopen()
                result = op(self.conn)
                self.notice.emit(f"The library reported a problem ({err}). Kinfolk reopened it and "
                                 f"saved your change ({text}).")
                return result
        return run

    def _rematched(self, change, anchor) -> None:
        if self.conn is not None and attach_consequences(self.undo, anchor, change, self.conn) \
                and anchor in [self.undo.command(i) for i in range(self.undo.index())]:
            n = len(change.faces)
            self.edited.emit(f"{anchor.text()}. Kinfolk then recognized {n} more "
                             f"face{'s' if n != 1 else ''} automatically (Undo takes "
                             f"{'them' if n != 1 else 'it'} back too).")

    def try_edit(self, text: str, op: Operation, error: Callable[[str], None],
                 rematch: bool = True) -> bool:
        """``edit``, with a refused request or a library failure reported through ``error``.
        True if it was done."""
        from kinfolk.core.people.edits import PeopleError

        try:
            self.edit(text, op, rematch=rematch)
        except PeopleError as exc:
            error(str(exc))
            return False
        except (sqlite3.Error, LibraryError) as exc:
            log.error("%s failed", text, exc_info=exc)
            error(f"Your change ({text}) was not saved: {translate_error(exc, self.path)}")
            return False
        return True

    def reopen(self) -> None:
        """Replace the GUI connection with a fresh one (after a failure the old one may have lost
        its locks or its files)."""
        old, self.conn = self.conn, None  # type: ignore[assignment]
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        self.conn = connect(self.path)

    def show_photos(self, items, index: int = 0) -> None:
        """Ask for the photo viewer on ``items[index]`` (``("photo", id)`` or ``("face", id)``:
        that face's photo with the face selected); the viewer walks through ``items``."""
        items = list(items)
        if items:
            self.photo_requested.emit(items, max(0, min(index, len(items) - 1)))

    def show_face(self, face_id: int, among=None) -> None:
        """The viewer on one face's photo; ``among`` (face ids, e.g. the grid it was picked in)
        are the faces ← / → walk through."""
        ids = list(among) if among else [face_id]
        if face_id not in ids:
            ids = [face_id]
        self.show_photos([("face", f) for f in ids], ids.index(face_id))

    def connect_worker(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A fresh connection for a background task (one per thread), for a ``with`` block that
        closes it."""
        return opened(self.path)

    def close(self) -> None:
        """Stop scans and tasks, then close the connection. Idempotent."""
        self.scans.cancel()
        self.people._rematch_timer.stop()
        self.people._throttle._timer.stop()  # a pending reload must not start after the shutdown
        self.runner.shutdown()
        if self.conn is not None:
            self.conn.close()
            self.conn = None  # type: ignore[assignment]
