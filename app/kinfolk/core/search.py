"""Search photos by the people in them: all of, any of, none of, only these; date range; folder."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Sequence

from kinfolk.db import photos as db_photos
from kinfolk.core.people.edits import resolve_person


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date_bound(text: str, end: bool) -> str | None:
    """An ISO date from "2019", "2019-07" or "2019-07-04" (also with / or .): the first day of that
    period, or with ``end`` the last ("to 2019" means until the end of 2019). Empty text gives None;
    anything else raises ``ValueError`` with a message for the user. ``PhotoQuery`` takes ISO days
    only, so every front-end turns what the user typed into one with this."""
    text = text.strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        raise ValueError(f"“{text}” is not a date (try 2019, 2019-07 or 2019-07-04)")
    y, mo, d = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if not mo:
        mo, d = (12, 31) if end else (1, 1)
    elif not d:
        if not 1 <= mo <= 12:
            raise ValueError(f"“{text}”: there is no month {mo}")
        d = calendar.monthrange(y, mo)[1] if end else 1
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:  # 2019-02-30: the date module's own words ("day is out of range") say less
        raise ValueError(f"“{text}” is not a date (there is no such day)") from None


@dataclass
class PhotoQuery:
    people: Sequence[str | int] = ()  # names or ids
    any_of: bool = False  # at least one of ``people`` (default: all of them)
    exclude: Sequence[str | int] = ()  # none of these
    only: bool = False  # nobody else recognized in the photo (unnamed faces don't count)
    date_from: str | None = None  # ISO day (YYYY-MM-DD), inclusive: see parse_date_bound
    date_to: str | None = None  # ISO day (YYYY-MM-DD), inclusive
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
