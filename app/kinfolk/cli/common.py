"""What every sub-command shares: where the library is, JSON output, user-facing errors."""

from __future__ import annotations

import json
import os
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
    from ..db.connection import connect, is_read_only

    path = library_path(args)
    if must_exist and not path.exists():
        raise UserError(f"no library at {path}: run 'kinfolk scan FOLDER' first")
    conn = connect(path, check=True)
    if is_read_only(conn):
        print(f"kinfolk: note: {path.parent} is read-only, so the library is opened read-only "
              "(viewing works; changes will be refused)", file=sys.stderr)
    return conn


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
