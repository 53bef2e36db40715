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

import sqlite3
from dataclasses import dataclass

from kinfolk.db import faces as db_faces
from kinfolk.db import forgotten as db_forgotten
from kinfolk.db import matches as db_matches
from kinfolk.db import people as db_people
from kinfolk.db import regions as db_regions
from kinfolk.db import sidecars as db_sidecars
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
    name = db_people.person_name(conn, pid)
    assert name is not None  # resolve_person found them
    faces, photos = db_faces.count_of_person(conn, pid)
    sugg = db_matches.suggestion_count(conn, pid)
    sidecars = sum(1 for s in db_sidecars.sidecars(conn)
                   if any(str(r[0]).casefold() == name.casefold() for r in s.regions))
    return ForgetPlan(pid, name, faces, photos, sugg, sidecars)


def forget(conn: sqlite3.Connection, p: ForgetPlan) -> list[dict[str, str]]:
    """Carry out a plan the user confirmed. Not undoable, by design. Returns the sidecars that could
    not be cleaned ({sidecar, message}: e.g. a read-only disk); the library is forgotten anyway."""
    pid = p.person_id
    failures = sidecar_writer.forget_person(conn, p.name)
    with transaction(conn):
        db_forgotten.remember_unmatched_regions(conn, p.name)
        db_regions.delete_named(conn, p.name)
        db_forgotten.remember_faces_of_person(conn, pid)
        # Faces first (thumbnails, suggestions and rejections cascade), then the person.
        db_people.set_cover(conn, pid, None)
        db_faces.delete_faces_of_person(conn, pid)
        db_people.delete_person(conn, pid)
    checkpoint(conn)
    return failures
