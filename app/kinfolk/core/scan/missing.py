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

from kinfolk.db import repo
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
    where = "p.missing_since IS NOT NULL"
    params: list = []
    if folder:
        cond, params = repo.under("p.path", folder)
        where += f" AND {cond}"
    rows = conn.execute(f"SELECT p.id, p.path FROM photos p WHERE {where} ORDER BY p.path",
                        params).fetchall()
    ids = [r[0] for r in rows]
    faces = 0
    named: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        faces += conn.execute(f"SELECT COUNT(*) FROM faces WHERE photo_id IN ({marks})",
                              chunk).fetchone()[0]
        for name, n in conn.execute(
                f"SELECT ps.name, COUNT(*) FROM faces f JOIN persons ps ON ps.id = f.person_id "
                f"WHERE f.photo_id IN ({marks}) GROUP BY ps.name", chunk):
            named[name] = named.get(name, 0) + n
    return RemovalPlan(ids, [r[1] for r in rows], faces, named)


def remove(conn: sqlite3.Connection, p: RemovalPlan) -> int:
    """Delete the planned photos that are still missing (one that came back meanwhile stays).
    Returns how many were removed. Forget records outlive them (they match by content hash)."""
    with transaction(conn):
        still = []
        for i in range(0, len(p.photo_ids), 500):
            chunk = p.photo_ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            still += [r[0] for r in conn.execute(
                f"SELECT id FROM photos WHERE missing_since IS NOT NULL AND id IN ({marks})", chunk)]
        repo.delete_photos(conn, still)
    return len(still)
