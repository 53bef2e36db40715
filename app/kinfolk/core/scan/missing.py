"""Removing missing photos for good: the one explicit action that deletes what a scan only marks.

A scan never deletes a photo because its file is gone (``core.scanner``); it marks it *missing* and
keeps its faces, names and decisions so they come back with the file. When the user knows the
files are gone for good, :func:`plan` says what removing them deletes (photos, faces, named faces
by person) and :func:`remove` deletes exactly those rows, if they are still missing. The CLI
(``kinfolk photos --remove-missing``) and the app both go through here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from kinfolk.db import photos as db_photos
from kinfolk.db.connection import transaction
from kinfolk.core.filenames import readable


@dataclass
class RemovalPlan:
    """What removing the missing photos deletes: shown to the user before they confirm."""

    photo_ids: list[int]
    paths: list[str]
    faces: int
    named: dict[str, int] = field(default_factory=dict)  # person name -> faces of theirs removed

    def describe(self, max_paths: int = 10) -> str:
        if not self.photo_ids:
            return "No photo is missing: nothing to remove."
        lines = [f"Remove {len(self.photo_ids)} missing photo(s) from the library for good, with "
                 f"their {self.faces} face(s) and thumbnails:"]
        lines += [f"  {readable(p)}" for p in self.paths[:max_paths]]
        if len(self.paths) > max_paths:
            lines.append(f"  ... and {len(self.paths) - max_paths} more")
        if self.named:
            who = ", ".join(f"{n} ({c})" for n, c in sorted(self.named.items()))
            lines.append(f"Named faces among them: {who}. The people stay; these faces go.")
        lines.append("The files are not on disk any more; if they come back later they are scanned "
                     "as new photos.")
        return "\n".join(lines)


def plan(conn: sqlite3.Connection, folder: str | None = None) -> RemovalPlan:
    """The photos marked missing (under ``folder`` if given) and what goes with them."""
    rows = db_photos.missing_under(conn, folder)
    ids = [r[0] for r in rows]
    faces = db_photos.face_count(conn, ids)
    named = db_photos.named_face_counts(conn, ids)
    return RemovalPlan(ids, [r[1] for r in rows], faces, named)


def remove(conn: sqlite3.Connection, p: RemovalPlan) -> int:
    """Delete the planned photos that are still missing (one that came back meanwhile stays).
    Returns how many were removed. Forget records outlive them (they match by content hash)."""
    with transaction(conn):
        still = db_photos.still_missing(conn, p.photo_ids)
        db_photos.delete_photos(conn, still)
    return len(still)
