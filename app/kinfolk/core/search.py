"""Search photos by the people in them: all of, any of, none of, only these; date range; folder."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from typing import Sequence

from kinfolk.db import photos as db_photos
from kinfolk.core.people.edits import resolve_person


@dataclass
class PhotoQuery:
    people: Sequence[str | int] = ()  # names or ids
    any_of: bool = False  # at least one of ``people`` (default: all of them)
    exclude: Sequence[str | int] = ()  # none of these
    only: bool = False  # nobody else recognized in the photo (unnamed faces don't count)
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive
    folder: str | None = None  # photos under this folder


@dataclass
class PhotoHit:
    id: int
    path: str
    taken_at: str | None
    people: list[str] = field(default_factory=list)


def find_photos(conn: sqlite3.Connection, q: PhotoQuery) -> list[PhotoHit]:
    """Photos matching ``q``, newest first. Unknown names raise ``PeopleError``.

    Photos marked missing (not found at the last scan) are left out: they cannot be opened, and
    their faces still count for the people views. Photos of an offline folder are included."""
    want = [resolve_person(conn, p) for p in q.people]
    avoid = [resolve_person(conn, p) for p in q.exclude]
    found = db_photos.search(conn, with_people=want, any_of=q.any_of, without=avoid, only=q.only,
                             date_from=q.date_from, date_to=q.date_to,
                             folder=os.path.abspath(q.folder) if q.folder else None)
    return [PhotoHit(r.id, r.path, r.taken_at, r.people) for r in found]
