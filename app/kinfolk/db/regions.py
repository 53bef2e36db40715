"""Named regions read from photo metadata that named no face (``imported_regions``): 'unmatched'
(no detected face under them) or 'conflict' (the user decided otherwise). Boxes are oriented
full-size pixels, like faces. Each import replaces a photo's rows.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable, NamedTuple

Box = tuple[float, float, float, float]


class ImportedRegion(NamedTuple):
    """One row; ``photo`` is the photo's path."""

    photo: str
    name: str
    box: Box
    origin: str
    file: str
    status: str  # unmatched | conflict
    face_id: int | None
    detail: str | None


class NewRegion(NamedTuple):
    name: str
    box: Box
    origin: str
    file: str
    status: str
    face_id: int | None
    detail: str | None


def imported_regions(conn: sqlite3.Connection) -> list[ImportedRegion]:
    """Every kept region, by photo path then left edge."""
    return [ImportedRegion(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], r[8], r[9], r[10])
            for r in conn.execute(
                "SELECT p.path, i.name, i.x1, i.y1, i.x2, i.y2, i.origin, i.file, i.status, "
                "i.face_id, i.detail FROM imported_regions i JOIN photos p ON p.id = i.photo_id "
                "ORDER BY p.path, i.x1")]


def replace_regions(conn: sqlite3.Connection, photo_id: int, rows: Iterable[NewRegion] = ()) -> None:
    """The photo's kept regions become ``rows`` (none: cleared)."""
    conn.execute("DELETE FROM imported_regions WHERE photo_id = ?", (photo_id,))
    conn.executemany(
        "INSERT INTO imported_regions(photo_id, name, x1, y1, x2, y2, origin, file, status, "
        "face_id, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(photo_id, r.name, *r.box, r.origin, r.file, r.status, r.face_id, r.detail) for r in rows])


def delete_named(conn: sqlite3.Connection, name: str) -> None:
    """Drop every kept region naming ``name`` (case-insensitive)."""
    conn.execute("DELETE FROM imported_regions WHERE name = ? COLLATE NOCASE", (name,))
