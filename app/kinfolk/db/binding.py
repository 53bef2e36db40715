"""How Python values are bound into Kinfolk's SQL: lossless file names, folder prefixes, id lists.

Used only inside ``kinfolk.db`` (callers never build SQL).

File names are stored losslessly: a path that is not valid UTF-8 (``os.fsdecode`` gives it surrogate
escapes) is stored as its exact bytes in the TEXT column (bound through :func:`fs_text` and
``CAST(? AS TEXT)``) and read back by the connection's text factory as the very same ``str``.
Folder prefixes are matched with a byte range (:func:`under`), which also uses the path index.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Iterable, Iterator

CHUNK = 500  # ids per statement: below SQLite's host-parameter limit


def fs_text(path: str) -> str | bytes:
    """A file name as an SQL parameter for ``CAST(? AS TEXT)``: the str itself, or its exact bytes
    when it is not valid UTF-8 (sqlite3 cannot bind lone surrogates)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape")


def under(column: str, folder: str) -> tuple[str, list[str | bytes]]:
    """SQL condition "``column`` is ``folder`` or inside it", as a byte range on the path index."""
    prefix = folder.rstrip(os.sep) + os.sep
    upper = prefix[:-1] + chr(ord(os.sep) + 1)  # '/' + 1 = '0': every path starting with prefix
    return (f"({column} = CAST(? AS TEXT) OR ({column} >= CAST(? AS TEXT) "
            f"AND {column} < CAST(? AS TEXT)))",
            [fs_text(folder.rstrip(os.sep) or os.sep), fs_text(prefix), fs_text(upper)])


def chunks(ids: Iterable[int], n: int = CHUNK) -> Iterator[list[int]]:
    """``ids`` as lists of at most ``n`` ints, in order."""
    items = [int(i) for i in ids]
    for i in range(0, len(items), n):
        yield items[i:i + n]


def marks(ids: list[int]) -> str:
    """``?,?,…`` for an ``IN (…)`` list of ``ids``."""
    return ",".join("?" * len(ids))


def each_chunk(conn: sqlite3.Connection, sql: str, ids: Iterable[int]) -> int:
    """Run ``sql`` (``{}`` where the ``?`` list goes: ``... WHERE id IN ({})``) over ``ids`` in
    chunks; returns the rows changed. For this package's own statements only."""
    changed = 0
    for chunk in chunks(ids):
        changed += conn.execute(sql.format(marks(chunk)), chunk).rowcount
    return changed
