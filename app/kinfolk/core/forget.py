"""Forget a person: erase every trace of their biometric data from the library file.

Deletes the person's name, every face of theirs (embedding, landmarks, thumbnail crop), their
suggestions and rejections, and keeps only where those faces were (photo + its content hash + box;
no pixels, no vectors) in ``forgotten_faces`` so that neither a rescan nor a copy of the photo (same
content hash, any path) recreates them. ``secure_delete`` zeroes the freed
content; a TRUNCATE checkpoint then folds the WAL into the file and empties it, so the bytes are gone
from disk, not just unlinked (tests/integration/test_forget.py searches the raw file to prove it).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..db.connection import checkpoint, transaction
from .people import resolve_person


@dataclass
class ForgetPlan:
    """What forgetting will delete: shown to the user before they confirm."""

    person_id: int
    name: str
    faces: int
    photos: int
    suggestions: int

    def describe(self) -> str:
        return (f"Forget {self.name}: delete the name, {self.faces} face(s) with their face "
                f"signatures and thumbnails in {self.photos} photo(s), and {self.suggestions} "
                "pending suggestion(s). The photos themselves are not touched. This cannot be undone.")


def plan(conn: sqlite3.Connection, person: str | int) -> ForgetPlan:
    pid = resolve_person(conn, person)
    name = conn.execute("SELECT name FROM persons WHERE id = ?", (pid,)).fetchone()[0]
    faces, photos = conn.execute("SELECT COUNT(*), COUNT(DISTINCT photo_id) FROM faces "
                                 "WHERE person_id = ?", (pid,)).fetchone()
    sugg = conn.execute("SELECT COUNT(*) FROM suggestions WHERE person_id = ?", (pid,)).fetchone()[0]
    return ForgetPlan(pid, name, faces, photos, sugg)


def forget(conn: sqlite3.Connection, p: ForgetPlan) -> None:
    """Carry out a plan the user confirmed. Not undoable, by design."""
    pid = p.person_id
    with transaction(conn):
        conn.execute("INSERT INTO forgotten_faces(photo_id, photo_hash, x1, y1, x2, y2) "
                     "SELECT f.photo_id, p.hash, f.x1, f.y1, f.x2, f.y2 FROM faces f "
                     "JOIN photos p ON p.id = f.photo_id WHERE f.person_id = ?", (pid,))
        # Faces first (thumbnails, suggestions and rejections cascade), then the person.
        conn.execute("UPDATE persons SET cover_face_id = NULL WHERE id = ?", (pid,))
        conn.execute("DELETE FROM faces WHERE person_id = ?", (pid,))
        conn.execute("DELETE FROM persons WHERE id = ?", (pid,))
    checkpoint(conn)
