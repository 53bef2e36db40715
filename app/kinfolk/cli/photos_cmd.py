"""``kinfolk photos``: every photo with status, error and face count; or search by people.

``kinfolk photos --person A --person B [--any] [--not C] [--only] [--from DATE] [--to DATE]
[--folder DIR] --json`` lists the photos with all of (or any of) the people.

A photo's ``status`` is ``ok``, ``error`` (see ``reason``), ``missing`` (not found at the last scan;
its faces are kept until ``--remove-missing``) or ``offline`` (its library folder could not be read at
the last scan). ``--folders`` lists the library folders and whether each was online.
"""

from __future__ import annotations

import sys

from kinfolk.cli.common import UserError, open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("photos", parents=[parents], help="list photos, or search them by person")
    p.add_argument("--json", action="store_true", help="JSON array (the stable format)")
    p.add_argument("--person", action="append", default=[], metavar="NAME",
                   help="photos with this person (repeat: all of them)")
    p.add_argument("--any", action="store_true", help="any of the --person names instead of all")
    p.add_argument("--not", dest="exclude", action="append", default=[], metavar="NAME",
                   help="without this person")
    p.add_argument("--only", action="store_true", help="no other recognized person in the photo")
    p.add_argument("--from", dest="date_from", metavar="DATE", type=_date_bound(end=False),
                   help="taken on or after: a year, month or day (2019, 2019-07, 2019-07-04)")
    p.add_argument("--to", dest="date_to", metavar="DATE", type=_date_bound(end=True),
                   help="taken on or before: 2019 means until the end of 2019")
    p.add_argument("--folder", metavar="DIR", help="only photos below this folder")
    p.add_argument("--errors", action="store_true", help="only photos that could not be read")
    p.add_argument("--missing", action="store_true",
                   help="only photos whose files were not found at the last scan")
    p.add_argument("--folders", action="store_true",
                   help="list the library folders and whether each could be read (offline)")
    p.add_argument("--remove-missing", action="store_true",
                   help="remove the missing photos (and their faces) from the library for good; "
                        "says what it removes and asks first (with --folder: only under it)")
    p.add_argument("--yes", action="store_true", help="with --remove-missing: do not ask")
    p.set_defaults(run=run)


def _date_bound(end: bool):
    """An argparse ``type``: the user's year/month/day as an ISO day, or a usage error (status 2)."""
    import argparse

    from kinfolk.core.search import parse_date_bound

    def convert(text: str) -> str | None:
        try:
            return parse_date_bound(text, end)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def photo_rows(conn) -> list[dict]:
    from kinfolk.db import photos as db_photos

    return [{
        "path": r["path"],
        "status": db_photos.presence(r),
        "error": r["error"],
        "reason": r["error_reason"],
        "faces": r["faces"],
        "taken_at": r["taken_at"],
        "taken_at_source": r["taken_at_source"],  # "file": only the file's time, a guess
        "missing_since": r["missing_since"],
    } for r in db_photos.photos(conn)]


def folder_rows(conn) -> list[dict]:
    from kinfolk.db import folders as db_folders

    return [{"path": f.path, "status": "offline" if f.offline else "online",
             "offline_since": f.offline_since, "reason": f.offline_reason}
            for f in db_folders.folder_states(conn)]


def remove_missing(conn, args) -> int:
    import os

    from kinfolk.core.scan import missing

    plan = missing.plan(conn, os.path.abspath(args.folder) if args.folder else None)
    print(plan.describe(), file=sys.stderr)
    if not plan.photo_ids:
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("refusing to remove photos without confirmation: add --yes")
        if input("Remove them? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing was removed.", file=sys.stderr)
            return 1
    n = missing.remove(conn, plan)
    print(f"Removed {n} missing photo(s).", file=sys.stderr)
    return 0


def run(args) -> int:
    from kinfolk.core.filenames import readable

    conn = open_library(args)
    if args.remove_missing:
        return remove_missing(conn, args)
    if args.folders:
        rows = folder_rows(conn)
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                state = f"offline since {r['offline_since']} ({r['reason']})" if r["reason"] else "online"
                print(f"{readable(r['path'])}  {state}")
        return 0
    searching = args.person or args.exclude or args.date_from or args.date_to or args.folder
    if searching:
        from kinfolk.core.people.edits import PeopleError
        from kinfolk.core.search import PhotoQuery, find_photos

        q = PhotoQuery(people=args.person, any_of=args.any, exclude=args.exclude, only=args.only,
                       date_from=args.date_from, date_to=args.date_to, folder=args.folder)
        try:
            hits = find_photos(conn, q)
        except PeopleError as exc:
            raise UserError(str(exc)) from exc
        rows = [{"path": h.path, "taken_at": h.taken_at, "people": h.people} for h in hits]
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                print(f"{readable(r['path'])}  {', '.join(r['people'])}")
            if not rows:
                print("kinfolk: no photos match", file=sys.stderr)
        return 0
    rows = photo_rows(conn)
    if args.errors:
        rows = [r for r in rows if r["status"] == "error"]
    if args.missing:
        rows = [r for r in rows if r["status"] == "missing"]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            if r["status"] == "error":
                extra = f"{r['reason']}: {r['error']}"
            else:
                extra = f"{r['faces']} faces" + ("" if r["status"] == "ok" else f" ({r['status']})")
            print(f"{readable(r['path'])}  {extra}")
    return 0
