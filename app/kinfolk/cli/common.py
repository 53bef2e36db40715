"""What every sub-command shares: where the library is, JSON output, user-facing errors."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import platformdirs

from ..core.models import APP_NAME


class UserError(Exception):
    """A problem the user can fix: printed as one line on stderr, exit status 1."""


def default_library() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library.sqlite"


def library_path(args) -> Path:
    """``--library`` > ``$KINFOLK_LIBRARY`` > the user data dir."""
    given = getattr(args, "library", None) or os.environ.get("KINFOLK_LIBRARY")
    return Path(given).expanduser().resolve() if given else default_library()


def open_library(args, must_exist: bool = True):
    from ..db.connection import connect

    path = library_path(args)
    if must_exist and not path.exists():
        raise UserError(f"no library at {path}: run 'kinfolk scan FOLDER' first")
    return connect(path)


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
