"""Opening a Kinfolk library (one SQLite file): pragmas, migrations, transactions, error taxonomy.

Contracts:
- WAL journal, ``synchronous=NORMAL``, ``foreign_keys=ON``, ``secure_delete=ON`` on every connection:
  WAL keeps readers (the GUI) unblocked by the scan's writer; secure_delete zeroes deleted content so
  "forget this person" really removes the bytes.
- A file whose ``user_version`` is newer than this program's schema is refused (``SchemaTooNewError``),
  never downgraded, and never touched: the version is read before any pragma that writes (switching
  to WAL rewrites the header). Before migrating an existing file, a copy is written beside it.
- Creating or migrating is safe with many processes at once: each migration step re-reads the
  version under the write lock (``BEGIN IMMEDIATE``) and skips what another process already did.
- A library whose folder (or file) is read-only opens read-only (``mode=ro``; ``immutable`` when the
  WAL's side files cannot be created): it can be viewed; writes raise ``LibraryReadOnlyError`` that
  names the folder. ``is_read_only(conn)`` tells which.
- ``connect(check=True)`` runs ``PRAGMA quick_check`` when the file is at most
  ``CHECK_AT_OPEN_MAX_BYTES`` (measured: 0.15 s for 247 MB, warm cache); ``check_integrity`` forces
  it (every scan does, before writing). A damaged file raises ``LibraryCorruptError``.
- One connection per thread. Writes go through ``transaction()`` (``BEGIN IMMEDIATE``) so a killed
  process leaves either the whole unit of work or none of it; ``snapshot()`` groups reads into one
  consistent view.
- Environment problems (read-only, full disk, disk I/O error, locked, damaged) surface as
  ``LibraryError`` subclasses with a one-line message a user can act on (``translate_error``);
  anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
import sqlite3
import time
import urllib.parse
from pathlib import Path
from typing import Iterable, Iterator

from kinfolk.db.migrations import LATEST, MIGRATIONS

CHECK_AT_OPEN_MAX_BYTES = 256 << 20
LOW_SPACE_BYTES = 8 << 20  # below this much free space, a disk I/O error is a full disk


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


class LibraryIOError(LibraryError):
    """The operating system failed to read or write the library (drive gone, failing, locks lost)."""


def _db_path(conn: sqlite3.Connection | None) -> str | None:
    if conn is None:
        return None
    with contextlib.suppress(sqlite3.Error):
        for row in conn.execute("PRAGMA database_list"):
            if row[1] == "main":
                return row[2] or None
    return None


def _disk_nearly_full(path: str | os.PathLike[str] | None) -> bool:
    if not path:
        return False
    with contextlib.suppress(OSError):
        return shutil.disk_usage(Path(path).parent).free < LOW_SPACE_BYTES
    return False


def _folder_read_only(path: Path) -> bool:
    folder = path.parent
    return (folder.is_dir() and not os.access(folder, os.W_OK)) or (
        path.exists() and not os.access(path, os.W_OK))


def library_files(path: str | os.PathLike[str]) -> set[str]:
    """The absolute paths of a library's files (the database, SQLite's side files, the scan lock).
    Code that walks or lists folders must never open them: closing a descriptor of the database or
    its side files drops the process's SQLite (POSIX) locks; the scan lock is ``flock``'s alone."""
    path = Path(path).expanduser().resolve()
    return {str(path)} | {f"{path}{suffix}" for suffix in ("-wal", "-shm", "-journal", "-scan.lock")}


def translate_error(exc: BaseException, path: str | os.PathLike[str] | None = None,
                    conn: sqlite3.Connection | None = None) -> BaseException:
    """Map an sqlite3 error (or an ``OSError`` while writing beside the library) caused by the user's
    environment to a ``LibraryError`` with a one-line message; anything else is returned unchanged."""
    if isinstance(exc, LibraryError):
        return exc
    path = path or _db_path(conn)
    where = f" ({path})" if path else ""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            where = f" ({exc.filename})" if exc.filename else where
            return LibraryFullError(f"the disk is full{where}: free some space and retry")
        return exc
    if not isinstance(exc, sqlite3.Error):
        return exc
    msg = str(exc).lower()
    if "readonly" in msg or "read-only" in msg:
        if path and str(path) != ":memory:" and _folder_read_only(Path(path)):
            folder = Path(path).parent
            return LibraryReadOnlyError(
                f"the library is read-only: its folder {folder} (or the file) cannot be written; "
                "you can view it, but to change it make the folder writable or move the library")
        return LibraryReadOnlyError(f"the library is read-only{where}: check the file's permissions")
    if "disk is full" in msg or "database or disk is full" in msg:
        return LibraryFullError(f"the disk holding the library is full{where}: free some space and retry")
    if "disk i/o error" in msg:
        if _disk_nearly_full(path):
            return LibraryFullError(f"the disk holding the library is full{where}: free some space "
                                    "and retry")
        return LibraryIOError(f"the disk holding the library failed to read or write it{where}: "
                              "check that the drive is connected, then retry")
    if "not a database" in msg or "malformed" in msg:
        return LibraryCorruptError(f"the library file is damaged or not a Kinfolk library{where}")
    if "unable to open" in msg:
        return LibraryError(f"cannot open the library{where}: {exc}")
    if "locked" in msg or "busy" in msg:
        return LibraryError(f"the library is busy in another program{where}; try again")
    return exc


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid of the row an INSERT just made (typeshed types ``lastrowid`` optional: it is None
    only before any INSERT)."""
    if cur.lastrowid is None:
        raise LibraryError("the library gave no id for a row just inserted")
    return cur.lastrowid


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False, timeout=10)


def _open(path: Path, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return _connect(str(path))
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    conn = _connect(uri, uri=True)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        # A WAL file in a read-only folder without its -shm: only an immutable open can read it.
        conn.close()
    return _connect(uri + "&immutable=1", uri=True)


def _decode_text(raw: bytes) -> str:
    """TEXT columns as str; bytes that are not UTF-8 (file names stored losslessly, see
    ``binding.fs_text``) come back as surrogate escapes, i.e. exactly the ``str`` the OS gave us."""
    return raw.decode("utf-8", "surrogateescape")


def _configure(conn: sqlite3.Connection, read_only: bool) -> None:
    conn.row_factory = sqlite3.Row
    conn.text_factory = _decode_text
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
        return
    _use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")


def _use_wal(conn: sqlite3.Connection, patience: float = 10.0) -> None:
    """Switch the file to WAL (persistent: done once, by whoever creates the library). Switching needs
    an exclusive lock and SQLite reports a busy file at once rather than through the busy handler, so
    a library created by several processes at the same moment retries here for up to ``patience``."""
    deadline = time.monotonic() + patience
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def pragmas(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, object]:
    """{name: value} of the connection's pragmas ``names`` (plain names: ``journal_mode``, …)."""
    out: dict[str, object] = {}
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"not a pragma name: {name!r}")
        out[name] = conn.execute(f"PRAGMA {name}").fetchone()[0]
    return out


def is_read_only(conn: sqlite3.Connection) -> bool:
    """True for a library opened read-only (its folder or file cannot be written)."""
    return bool(conn.execute("PRAGMA query_only").fetchone()[0])


def connect(path: str | os.PathLike[str], migrate: bool = True, check: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the library at ``path`` and bring its schema up to date.

    ``check``: run ``quick_check`` first if the file is small enough to check quickly (see module
    doc). A read-only folder or file gives a read-only connection (see ``is_read_only``).
    """
    path = Path(path)
    memory = str(path) == ":memory:"
    read_only = not memory and _folder_read_only(path)
    try:
        if not memory and not path.exists():
            if read_only:
                raise LibraryReadOnlyError(f"cannot create a library in {path.parent}: the folder "
                                           "is read-only")
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = _open(path, read_only)
    except (sqlite3.Error, OSError) as exc:
        translated = translate_error(exc, path)
        if translated is exc:
            raise
        raise translated from exc
    try:
        # Read the version before any pragma that writes (WAL rewrites the header).
        conn.execute("PRAGMA busy_timeout = 10000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > LATEST:
            raise SchemaTooNewError(
                f"{path} was written by a newer Kinfolk (schema {version}, this one knows {LATEST}); "
                "update Kinfolk to open it")
        if check and (memory or path.stat().st_size <= CHECK_AT_OPEN_MAX_BYTES):
            check_integrity(conn, path)
        _configure(conn, read_only)
        if version < LATEST and read_only:
            raise LibraryReadOnlyError(
                f"{path} needs upgrading to this Kinfolk's format, but its folder is read-only: make "
                "it writable (or open it with the Kinfolk that wrote it)")
        if migrate and version < LATEST:
            _migrate(conn, path)
    except BaseException as exc:
        conn.close()
        translated = translate_error(exc, path)
        if translated is exc:
            raise
        raise translated from exc
    return conn


def check_integrity(conn: sqlite3.Connection, path: str | os.PathLike[str] | None = None) -> None:
    """``PRAGMA quick_check``: raise ``LibraryCorruptError`` if the file's structure is damaged.

    It finds damaged pages, broken b-trees and overflow chains; it cannot see changed bytes inside a
    row's data (SQLite keeps no checksums)."""
    try:
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        path = path or _db_path(conn)
        first = " ".join(problems[0].replace("*** in database main ***", "").split())
        raise LibraryCorruptError(
            f"the library file is damaged ({path}): {first}. Kinfolk will not write to it; "
            "restore a backup (a .bak copy beside it, or your own), or recover it with "
            "'sqlite3 FILE .recover'")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Back up an existing file, then apply pending migrations, each in its own ``BEGIN IMMEDIATE``
    transaction; a new file gets the whole schema in one transaction, so no other process ever sees
    a half-created library (and takes it for an old one to back up and upgrade). The version is
    re-read under the write lock, so processes creating or upgrading one library at once each do
    only what is still left."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > 0 and str(path) != ":memory:":
        _backup(conn, path)
    pending = list(range(version + 1, LATEST + 1))
    for steps in ([pending] if version == 0 else [[n] for n in pending]):
        # executescript() commits first; run the statements one by one inside our own transaction.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for number in steps:
                if conn.execute("PRAGMA user_version").fetchone()[0] < number:
                    for statement in _statements(MIGRATIONS[number - 1]):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise


def _backup(conn: sqlite3.Connection, path: Path) -> None:
    """``<library>.v<N>.bak``: a consistent copy, written under a temporary name and renamed, so two
    processes upgrading at once never leave a half-written backup (the online backup API cannot run
    inside the migration's own write transaction)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.bak.part")
    try:
        with contextlib.closing(sqlite3.connect(str(tmp))) as dst:
            conn.backup(dst)
            version = dst.execute("PRAGMA user_version").fetchone()[0]
        if version < LATEST:  # else another process upgraded it meanwhile: nothing to keep
            os.replace(tmp, path.with_name(f"{path.name}.v{version}.bak"))
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


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
def opened(path: str | os.PathLike[str], migrate: bool = True) -> Iterator[sqlite3.Connection]:
    """``connect(path)`` for the length of a ``with`` block, closed after it whatever happens (a
    background task's own connection: sqlite3 connections are per thread)."""
    conn = connect(path, migrate=migrate)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back on any exception.

    Nests: inside another transaction it is a ``SAVEPOINT``, so an operation that is a transaction of
    its own can also be one step of a larger one (the inner part rolls back alone on error; nothing
    is committed until the outermost block ends)."""
    if conn.in_transaction:
        with _savepoint(conn):
            yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise translate_error(exc, conn=conn) from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        translated = translate_error(exc, conn=conn)
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
        raise translate_error(exc, conn=conn) from exc


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: every query inside sees the same state of the library, whatever other
    connections commit meanwhile (WAL: it never blocks them). Not reentrant; no writes inside."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("COMMIT")


_savepoints = itertools.count()


@contextlib.contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    name = f"kinfolk_{next(_savepoints)}"
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")


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
