"""Library settings: every key the library file stores, with its default and valid range, in one place.

Library settings change what is stored in (or derived from) a library, so they live in the library file
and a library opened on another computer behaves the same. Machine settings (which model pack and
execution provider this computer uses) are not here: they belong to the front-end's own store
(``gui.preferences`` for the app; command-line options for the CLI).

Thresholds are per recognizer model, because similarity scales differ between models; an unset
threshold means "the measured default for the model" (``thresholds.default_thresholds``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from kinfolk.db import settings as db_settings
from kinfolk.db.connection import transaction
from kinfolk.core.people.thresholds import Thresholds, save_thresholds

T = TypeVar("T")


@dataclass(frozen=True)
class LibrarySetting(Generic[T]):
    """One setting stored in the library: a value that is missing, unparsable or out of range reads
    as ``default`` (a hand-edited or older library never breaks a scan)."""

    key: str
    default: T
    parse: Callable[[str], T]
    minimum: float | None = None  # bounds of a numeric setting
    maximum: float | None = None

    def read(self, conn: sqlite3.Connection) -> T:
        raw = db_settings.get_setting(conn, self.key)
        if raw is None:
            return self.default
        try:
            value = self.parse(raw)
        except (TypeError, ValueError):
            return self.default
        if isinstance(value, (int, float)) and (
                (self.minimum is not None and value < self.minimum)
                or (self.maximum is not None and value > self.maximum)):
            return self.default
        return value

    def write(self, conn: sqlite3.Connection, value: T) -> None:
        """Write one value (own transaction)."""
        with transaction(conn):
            db_settings.set_setting(conn, self.key, str(value))


# The short side of the smallest face box kept, in full-size pixels.
MIN_FACE_SIZE: LibrarySetting[int] = LibrarySetting("scan.min_face_size", 20, int, 8, 2000)


def write_thresholds(conn: sqlite3.Connection, model_id: str, t: Thresholds) -> None:
    """Store thresholds where ``people.thresholds.thresholds_for`` finds them (own transaction)."""
    with transaction(conn):
        save_thresholds(conn, model_id, t)
