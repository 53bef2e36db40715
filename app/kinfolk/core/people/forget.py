"""Forget a person: erase every trace of their biometric data from the library file.

Deletes the person's name, every face of theirs (embedding, landmarks, thumbnail crop), their
suggestions and rejections, and keeps only where those faces were (photo + its content hash + box;
no pixels, no vectors) in ``forgotten_faces`` so that neither a rescan nor a copy of the photo (same
content hash, any path) recreates them. Regions naming them that were read from photo metadata are
dropped too (the boxes of those that matched no face are remembered the same way; a conflicting one
lies on someone else's face, which must not be forgotten), and their regions are removed from every
XMP sidecar Kinfolk wrote (``core.sidecar_writer``). ``secure_delete`` zeroes the freed content; a
TRUNCATE checkpoint then folds the WAL into the file and empties it, so the bytes are gone from disk,
not just unlinked (tests/integration/test_forget.py searches the raw file to prove it).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from kinfolk.db.connection import checkpoint, transaction
from kinfolk.core.metadata import sidecar_writer
from kinfolk.core.people.edits import resolve_person


@dataclass
class ForgetPlan:
    """What forgetting will delete: shown to the user before they confirm."""

    person_id: int
    name: str
    faces: int
    photos: int
    suggestions: int
    sidecars: int = 0

    def describe(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'s' * (count != 1)}"

        return (f"Forget {self.name}: delete the name, {n(self.faces, 'face')} with their face "
                f"signatures and thumbnails in {n(self.photos, 'photo')}, and "
                f"{n(self.suggestions, 'pending suggestion')}"
                + (f", and remove the name from {n(self.sidecars, 'XMP sidecar')} Kinfolk wrote"
                   if self.sidecars else "")
                + ". The photos themselves are not touched. This cannot be undone.")


def plan(conn: sqlite3.Connection, person: str | int) -> ForgetPlan:
    pid = resolve_person(conn, person)
    name = conn.execute("SELECT name FROM persons WHERE id = ?", (pid,)).fetchone()[0]
    faces, photos = conn.execute("SELECT COUNT(*), COUNT(DISTINCT photo_id) FROM faces "
                                 "WHERE person_id = ?", (pid,)).fetchone()
    sugg = conn.execute("SELECT COUNT(*) FROM suggestions WHERE person_id = ?", (pid,)).fetchone()[0]
    sidecars = sum(1 for (regions,) in conn.execute("SELECT regions FROM xmp_sidecars")
                   if any(str(r[0]).casefold() == name.casefold() for r in json.loads(regions)))
    return ForgetPlan(pid, name, faces, photos, sugg, sidecars)


def forget(conn: sqlite3.Connection, p: ForgetPlan) -> list[dict]:
    """Carry out a plan the user confirmed. Not undoable, by design. Returns the sidecars that could
    not be cleaned ({sidecar, message}: e.g. a read-only disk); the library is forgotten anyway."""
    pid = p.person_id
    failures = sidecar_writer.forget_person(conn, p.name)
    with transaction(conn):
        conn.execute("INSERT INTO forgotten_faces(photo_id, photo_hash, x1, y1, x2, y2) "
                     "SELECT r.photo_id, p.hash, r.x1, r.y1, r.x2, r.y2 FROM imported_regions r "
                     "JOIN photos p ON p.id = r.photo_id "
                     "WHERE r.name = ? COLLATE NOCASE AND r.status = 'unmatched'", (p.name,))
        conn.execute("DELETE FROM imported_regions WHERE name = ? COLLATE NOCASE", (p.name,))
        conn.execute("INSERT INTO forgotten_faces(photo_id, photo_hash, x1, y1, x2, y2) "
                     "SELECT f.photo_id, p.hash, f.x1, f.y1, f.x2, f.y2 FROM faces f "
                     "JOIN photos p ON p.id = f.photo_id WHERE f.person_id = ?", (pid,))
        # Faces first (thumbnails, suggestions and rejections cascade), then the person.
        conn.execute("UPDATE persons SET cover_face_id = NULL WHERE id = ?", (pid,))
        conn.execute("DELETE FROM faces WHERE person_id = ?", (pid,))
        conn.execute("DELETE FROM persons WHERE id = ?", (pid,))
    checkpoint(conn)
    return failures
