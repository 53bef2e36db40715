"""Library settings as stored (``settings``: text key → text value).

What the keys mean, their defaults and ranges live in ``core.settings``; this module only reads and
writes the strings.
"""

from __future__ import annotations

import sqlite3


def get_setting(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    """The stored value of ``key``, else ``default``."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key`` (the caller's transaction, or autocommit)."""
    conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
