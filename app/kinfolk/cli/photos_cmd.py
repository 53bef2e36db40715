"""``kinfolk photos --json``: every photo with its status, error and face count."""

from __future__ import annotations

from .common import open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("photos", parents=[parents], help="list photos (and why some failed)")
    p.add_argument("--json", action="store_true", help="JSON array (the stable format)")
    p.set_defaults(run=run)


def photo_rows(conn) -> list[dict]:
    from ..db import repo

    return [{
        "path": r["path"],
        "status": r["status"],
        "error": r["error"],
        "reason": r["error_reason"],
        "faces": r["faces"],
        "taken_at": r["taken_at"],
    } for r in repo.photos(conn)]


def run(args) -> int:
    conn = open_library(args)
    rows = photo_rows(conn)
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            extra = f"{r['faces']} faces" if r["status"] == "ok" else f"{r['reason']}: {r['error']}"
            print(f"{r['path']}  {extra}")
    return 0
