"""Read-only queries the views need that ``db.repo`` does not offer yet.

Each is a plain SELECT (no writes, no schema knowledge beyond column names) and belongs in
``kinfolk.db.repo``; they are here only until they move there. Every write goes through ``repo``.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable


def thumbnails(conn: sqlite3.Connection, face_ids: Iterable[int]) -> dict[int, bytes]:
    """{face id: JPEG} for the ids that have a stored face crop."""
    ids = [int(i) for i in face_ids]
    out: dict[int, bytes] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for fid, jpeg in conn.execute(
                f"SELECT face_id, jpeg FROM thumbnails WHERE face_id IN ({marks})", chunk):
            out[int(fid)] = bytes(jpeg)
    return out


def face_ids(conn: sqlite3.Connection) -> list[int]:
    """Every face id, in the order faces were stored (a scan appends at the end)."""
    return [r[0] for r in conn.execute("SELECT id FROM faces ORDER BY id")]


def error_photos(conn: sqlite3.Connection, limit: int = 10000) -> list[tuple[str, str, str]]:
    """(path, reason code, message) of photos that could not be read, by path."""
    return [(r[0], r[1] or "", r[2] or "") for r in conn.execute(
        "SELECT path, error_reason, error FROM photos WHERE status = 'error' ORDER BY path LIMIT ?",
        (limit,))]
