"""What every sub-command shares: where the library is, JSON output, user-facing errors."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


class UserError(Exception):
    """A problem the user can fix: printed as one line on stderr, exit status 1."""


def library_path(args) -> Path:
    """``--library`` > ``$KINFOLK_LIBRARY`` > the user data dir."""
    from kinfolk.core.library import resolve_library_path

    return resolve_library_path(getattr(args, "library", None))


def open_library(args, must_exist: bool = True):
    from kinfolk.db.connection import connect, is_read_only

    path = library_path(args)
    if must_exist and not path.exists():
        raise UserError(f"no library at {path}: run 'kinfolk scan FOLDER' first")
    conn = connect(path, check=True)
    if is_read_only(conn):
        print(f"kinfolk: note: {path.parent} is read-only, so the library is opened read-only "
              "(viewing works; changes will be refused)", file=sys.stderr)
    return conn


def print_json(obj) -> None:
    """UTF-8 JSON on stdout. A file name that is not valid UTF-8 holds surrogate escapes; they are
    written as ``\\udcXX`` escapes (valid JSON; Python's ``json`` reads back the exact name)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def counted(count: int, word: str) -> str:
    """"1 face", "2 faces", "0 errors": a count with its noun, for messages people read."""
    return f"{count:,} {word}{'s' * (count != 1)}"
