"""Boxes where no face may come back: forgotten people's faces (``forgotten_faces``: photo, content
hash and box only, no pixels or vectors) and boxes the user said hold no face (``not_faces``).

The scan (``photos.write_photo``) stores no detection on these boxes; metadata import skips regions
on forgotten ones.
"""

from __future__ import annotations

import sqlite3

from kinfolk.db.connection import inserted_id

Box = tuple[float, float, float, float]


def forgotten_boxes(conn: sqlite3.Connection, photo_id: int) -> list[Box]:
    """The boxes of forgotten faces recorded for the photo."""
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(
        "SELECT x1, y1, x2, y2 FROM forgotten_faces WHERE photo_id = ?", (photo_id,))]


def remember_faces_of_person(conn: sqlite3.Connection, person_id: int) -> None:
    """Record where each of the person's faces is (photo, its hash, box), before they are deleted."""
    conn.execute("INSERT INTO forgotten_faces(photo_id, photo_hash, x1, y1, x2, y2) "
                 "SELECT f.photo_id, p.hash, f.x1, f.y1, f.x2, f.y2 FROM faces f "
                 "JOIN photos p ON p.id = f.photo_id WHERE f.person_id = ?", (person_id,))


def remember_unmatched_regions(conn: sqlite3.Connection, name: str) -> None:
    """Record the boxes of the imported regions naming ``name`` (case-insensitive) that matched no
    face."""
    conn.execute("INSERT INTO forgotten_faces(photo_id, photo_hash, x1, y1, x2, y2) "
                 "SELECT r.photo_id, p.hash, r.x1, r.y1, r.x2, r.y2 FROM imported_regions r "
                 "JOIN photos p ON p.id = r.photo_id "
                 "WHERE r.name = ? COLLATE NOCASE AND r.status = 'unmatched'", (name,))


def add_not_face(conn: sqlite3.Connection, photo_id: int, box: Box) -> int:
    """Remember that ``box`` of the photo holds no face; returns the record's rowid."""
    return inserted_id(conn.execute(
        "INSERT INTO not_faces(photo_id, x1, y1, x2, y2) VALUES (?, ?, ?, ?, ?)", (photo_id, *box)))


def remove_not_face(conn: sqlite3.Connection, rowid: int) -> None:
    conn.execute("DELETE FROM not_faces WHERE rowid = ?", (rowid,))
