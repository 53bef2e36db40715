"""One photo library: where its index file is, its settings, and what follows a scan or an edit.

The CLI and the app are thin clients of ``Library``, so they behave the same:
- after a scan, new faces are matched to named people and the rest are grouped (``after_scan``);
- after a people edit, unassigned faces are matched again, since newly confirmed faces are new
  evidence (``after_edit``). Groups are not recomputed then, so group ids stay put while the user
  works through them.

A ``Library`` holds one SQLite connection, which belongs to the thread that opened it: background
work opens its own ``Library`` on the same path.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import platformdirs

from kinfolk.db import faces as db_faces
from kinfolk.db.connection import connect
from kinfolk.core.cancel import CancelToken
from kinfolk.core.people.matching import MatchReport, match_faces
from kinfolk.core.faces.models import APP_NAME
from kinfolk.core.settings import MIN_FACE_SIZE

if TYPE_CHECKING:
    from kinfolk.core.clustering.grouping import OrganizeReport
    from kinfolk.core.scan.scanner import ScanOptions


def default_library_path() -> Path:
    """The library used when none is named: in the user's data folder."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library.sqlite"


def resolve_library_path(given: str | os.PathLike[str] | None = None) -> Path:
    """``given`` (``--library``) > ``$KINFOLK_LIBRARY`` > ``default_library_path()``."""
    given = given or os.environ.get("KINFOLK_LIBRARY")
    return Path(given).expanduser().resolve() if given else default_library_path()


class Library:
    """An open library index and the rules that keep it organized."""

    def __init__(self, path: str | os.PathLike[str], conn: sqlite3.Connection | None = None) -> None:
        self.path = Path(path)
        self.conn = conn if conn is not None else connect(self.path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------------------------- settings

    def scan_options(self) -> "ScanOptions":
        """Scan options from the library's settings (the minimum face size)."""
        from kinfolk.core.scan.scanner import ScanOptions  # the pipeline's imports: only for commands that scan

        return ScanOptions(min_face_size=MIN_FACE_SIZE.read(self.conn))

    def models(self) -> list[str]:
        """Recognizer models with faces in this library (faces of different models never mix)."""
        return db_faces.model_ids(self.conn)

    # ------------------------------------------------------------------------------ the workflow

    def after_scan(self, progress: Callable[..., None] | None = None,
                   cancel: CancelToken | None = None) -> "OrganizeReport":
        """Match new faces to named people, then group the faces still unknown, for every model."""
        from kinfolk.core.clustering.grouping import organize  # imports the clustering stack: only when needed

        return organize(self.conn, progress=progress, cancel=cancel)

    def after_edit(self, cancel: CancelToken | None = None) -> MatchReport:
        """Match the unassigned faces of every model against the named people again."""
        total = MatchReport()
        for model_id in self.models():
            total.add(match_faces(self.conn, model_id, cancel=cancel))
        return total

    def edit(self, operation: Callable[..., Any], *args: Any) -> Any:
        """Run a people operation (``core.people``) on this library, then ``after_edit``.
        Returns what the operation returned (a ``people.Change``)."""
        result = operation(self.conn, *args)
        self.after_edit()
        return result
