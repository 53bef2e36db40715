"""Opening a Kinfolk library (one SQLite file): pragmas, migrations, transactions, error taxonomy.

Contracts:
- WAL journal, ``synchronous=NORMAL``, ``foreign_keys=ON``, ``secure_delete=ON`` on every connection:
  WAL keeps readers (the GUI) unblocked by the scan's writer; secure_delete zeroes deleted content so
  "forget this person" really removes the bytes.
- A file whose ``user_version`` is newer than this program's schema is refused (``SchemaTooNewError``),
  never downgraded. Before migrating an existing file, a copy is written beside it.
- One connection per thread. Writes go through ``transaction()`` (``BEGIN IMMEDIATE``) so a killed
  process leaves either the whole unit of work or none of it.
- Environment problems (read-only file, full disk, locked, not a database) surface as ``LibraryError``
  subclasses with a message a user can act on; anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Iterator

from .migrations import LATEST, MIGRATIONS


class LibraryError(Exception):
    """A problem with the library file that the user can fix (not a bug)."""


class SchemaTooNewError(LibraryError):
    pass


class LibraryReadOnlyError(LibraryError):
    pass


class LibraryFullError(LibraryError):
    pass


class LibraryCorruptError(LibraryError):
    pass


def translate_error(exc: sqlite3.Error, path: str | os.PathLike | None = None) -> Exception:
    """Map an sqlite3 error caused by the user's environment to a ``LibraryError``; else return it."""
    msg = str(exc).lower()
    where = f" ({path})" if path else ""
    if "readonly" in msg or "read-only" in msg:
        return LibraryReadOnlyError(f"the library is read-only{where}: check the file's permissions")
    if "disk is full" in msg or "database or disk is full" in msg:
        return LibraryFullError(f"the disk holding the library is full{where}: free some space and retry")
    if "not a database" in msg or "malformed" in msg:
        return LibraryCorruptError(f"the library file is damaged or not a Kinfolk library{where}")
    if "unable to open" in msg:
        return LibraryError(f"cannot open the library{where}: {exc}")
    if "locked" in msg or "busy" in msg:
        return LibraryError(f"the library is busy in another program{where}; try again")
    return exc


def _decode_text(raw: bytes) -> str:
    """TEXT columns as str; bytes that are not UTF-8 (file names stored losslessly, see
    ``repo.fs_text``) come back as surrogate escapes, i.e. exactly the ``str`` the OS gave us."""
    return raw.decode("utf-8", "surrogateescape")


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.text_factory = _decode_text
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal" and not conn.execute("PRAGMA query_only").fetchone()[0]:
        # A read-only directory cannot hold the -wal file; carry on in the old mode rather than fail.
        pass
    conn.execute("PRAGMA synchronous = NORMAL")


def connect(path: str | os.PathLike, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the library at ``path`` and bring its schema up to date."""
    path = Path(path)
    try:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        _configure(conn)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise translate_error(exc, path) from exc
    if version > LATEST:
        conn.close()
        raise SchemaTooNewError(
            f"{path} was written by a newer Kinfolk (schema {version}, this one knows {LATEST}); "
            "update Kinfolk to open it"
        )
    if migrate and version < LATEST:
        try:
            _migrate(conn, path, version)
        except sqlite3.Error as exc:
            conn.close()
            raise translate_error(exc, path) from exc
    return conn


def _migrate(conn: sqlite3.Connection, path: Path, version: int) -> None:
    if version > 0 and str(path) != ":memory:":
        backup = path.with_name(f"{path.name}.v{version}.bak")
        with contextlib.closing(sqlite3.connect(str(backup))) as dst:
            conn.backup(dst)
    for number in range(version + 1, LATEST + 1):
        script = MIGRATIONS[number - 1]
        # executescript() commits first; run the statements one by one inside our own transaction.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` handles quoting)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back on any exception. Not reentrant."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise translate_error(exc) from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        translated = translate_error(exc)
        if translated is exc:
            raise
        raise translated from exc
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise translate_error(exc) from exc


def checkpoint(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Fold the WAL into the main file and truncate it (after erasing data, so no copy lingers).

    A reader holding an old snapshot blocks a complete checkpoint; retry for a few seconds, then say
    so rather than pretend the old bytes are gone.
    """
    import time

    for _ in range(attempts):
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.1)
    raise LibraryError("could not finish erasing: another window or program is reading the "
                       "library; close it and try again")
