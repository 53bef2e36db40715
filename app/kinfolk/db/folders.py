"""The library's folders (``folders``): which roots are scanned, and whether each could be read.

A folder that is missing, empty or unreadable is *offline* (``set_folder_offline``), never a reason
to delete its photos; only ``remove_folder`` (the user's explicit action) deletes them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kinfolk.db import photos
from kinfolk.db.binding import fs_text, under
from kinfolk.db.connection import transaction


@dataclass(frozen=True)
class FolderState:
    """A library folder and whether it could be read at the last scan (None = online)."""

    path: str
    offline_since: str | None
    offline_reason: str | None

    @property
    def offline(self) -> bool:
        return self.offline_since is not None


def add_folder(conn: sqlite3.Connection, path: str) -> None:
    """Add a root folder (nothing happens if it is there already)."""
    conn.execute("INSERT OR IGNORE INTO folders(path) VALUES (CAST(? AS TEXT))", (fs_text(path),))


def list_folders(conn: sqlite3.Connection) -> list[str]:
    """Every root folder, by path."""
    return [str(r[0]) for r in conn.execute("SELECT path FROM folders ORDER BY path")]


def folder_states(conn: sqlite3.Connection) -> list[FolderState]:
    """Every root folder with its offline state, by path."""
    return [FolderState(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT path, offline_since, offline_reason FROM folders ORDER BY path")]


def set_folder_offline(conn: sqlite3.Connection, path: str, reason: str | None) -> None:
    """Record that a folder could (``reason`` None) or could not be read; keeps the first time it
    went offline."""
    if reason is None:
        conn.execute("UPDATE folders SET offline_since = NULL, offline_reason = NULL "
                     "WHERE path = CAST(? AS TEXT)", (fs_text(path),))
    else:
        conn.execute("UPDATE folders SET offline_since = coalesce(offline_since, datetime('now')), "
                     "offline_reason = ? WHERE path = CAST(? AS TEXT)", (reason, fs_text(path)))


def remove_folder(conn: sqlite3.Connection, path: str) -> int:
    """Forget a folder and every photo under it (faces cascade), in one transaction. Returns the
    number of photos removed."""
    cond, params = under("path", path)
    with transaction(conn):
        conn.execute("DELETE FROM folders WHERE path = CAST(? AS TEXT)", (fs_text(path),))
        ids = [int(r[0]) for r in conn.execute(f"SELECT id FROM photos WHERE {cond}", params)]
        photos.delete_photos(conn, ids)
    return len(ids)
