"""XMP sidecars Kinfolk wrote (``xmp_sidecars``) and the regions it owns in each.

``regions`` are the JSON values ``core.metadata.xmp_regions.OwnedRegion`` reads and writes (first
item the name); this module only stores them. ``created``: Kinfolk made the file (and may delete it
when nothing is left in it).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, NamedTuple


class Sidecar(NamedTuple):
    path: str
    photo_id: int | None
    regions: list[Any]  # JSON values, one per owned region
    created: bool


def sidecar(conn: sqlite3.Connection, path: str) -> Sidecar | None:
    """The record of the sidecar at ``path`` (None: Kinfolk owns nothing there)."""
    r = conn.execute("SELECT path, photo_id, regions, created FROM xmp_sidecars WHERE path = ?",
                     (path,)).fetchone()
    return Sidecar(r[0], r[1], json.loads(r[2]), bool(r[3])) if r else None


def sidecars(conn: sqlite3.Connection) -> list[Sidecar]:
    """Every sidecar record."""
    return [Sidecar(r[0], r[1], json.loads(r[2]), bool(r[3])) for r in conn.execute(
        "SELECT path, photo_id, regions, created FROM xmp_sidecars").fetchall()]


def record(conn: sqlite3.Connection, path: str, photo_id: int | None, regions: list[Any],
           created: bool) -> None:
    """Record what Kinfolk owns in the sidecar at ``path`` (no regions: forget the sidecar). An
    existing record keeps its ``created`` flag."""
    if regions:
        conn.execute(
            "INSERT INTO xmp_sidecars(path, photo_id, regions, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET photo_id = excluded.photo_id, "
            "regions = excluded.regions, written_at = datetime('now')",
            (path, photo_id, json.dumps(regions, ensure_ascii=False), int(created)))
    else:
        conn.execute("DELETE FROM xmp_sidecars WHERE path = ?", (path,))


def photos_to_write(conn: sqlite3.Connection, person_id: int | None = None) -> list[int]:
    """Photos whose sidecar may need writing: those with a confirmed face of ``person_id``; without
    a person, every photo with a confirmed named face or a sidecar record."""
    if person_id is not None:
        return [int(r[0]) for r in conn.execute(
            "SELECT DISTINCT photo_id FROM faces WHERE person_id = ? AND state = 'confirmed'",
            (person_id,))]
    return [int(r[0]) for r in conn.execute(
        "SELECT photo_id FROM faces WHERE person_id IS NOT NULL AND state = 'confirmed' "
        "UNION SELECT photo_id FROM xmp_sidecars WHERE photo_id IS NOT NULL")]
