"""What every view of one open library shares: its path, a GUI-thread connection, the task runner
and the scan controller. Views take a ``Session`` instead of reaching for globals."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..db.connection import connect
from .scan_controller import ScanController
from .tasks import TaskRunner


class Session(QObject):
    """Owns the library connection used on the GUI thread (quick reads and small writes only; anything
    that can take long runs as a task with its own connection)."""

    library_changed = Signal()  # folders or photos changed outside a scan: views refresh
    people_changed = Signal()  # names, groups or suggestions changed (naming, undo, organize)

    def __init__(self, library: str | os.PathLike, models_dir: str | os.PathLike | None = None,
                 parent: QObject | None = None, workers: int | None = None) -> None:
        super().__init__(parent)
        self.path = Path(library)
        self.models_dir = models_dir
        self.conn: sqlite3.Connection = connect(self.path)
        self.runner = TaskRunner(parent=self)
        self.scans = ScanController(self.runner, self.path, self, models_dir=models_dir,
                                    workers=workers)

    def connect_worker(self) -> sqlite3.Connection:
        """A fresh connection for a background task (one per thread; close it when done)."""
        return connect(self.path)

    def close(self) -> None:
        """Stop scans and tasks, then close the connection. Idempotent."""
        self.scans.cancel()
        self.runner.shutdown()
        if self.conn is not None:
            self.conn.close()
            self.conn = None  # type: ignore[assignment]
