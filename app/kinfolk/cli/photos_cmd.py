"""``kinfolk photos``: every photo with status, error and face count; or search by people.

``kinfolk photos --person A --person B [--any] [--not C] [--only] [--from DATE] [--to DATE]
[--folder DIR] --json`` lists the photos with all of (or any of) the people.
"""

from __future__ import annotations

from .common import UserError, open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("photos", parents=[parents], help="list photos, or search them by person")
    p.add_argument("--json", action="store_true", help="JSON array (the stable format)")
    p.add_argument("--person", action="append", default=[], metavar="NAME",
                   help="photos with this person (repeat: all of them)")
    p.add_argument("--any", action="store_true", help="any of the --person names instead of all")
    p.add_argument("--not", dest="exclude", action="append", default=[], metavar="NAME",
                   help="without this person")
    p.add_argument("--only", action="store_true", help="no other recognized person in the photo")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    p.add_argument("--folder", metavar="DIR")
    p.add_argument("--errors", action="store_true", help="only photos that could not be read")
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
    searching = args.person or args.exclude or args.date_from or args.date_to or args.folder
    if searching:
        from ..core.people import PeopleError
        from ..core.search import PhotoQuery, find_photos

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
                print(f"{r['path']}  {', '.join(r['people'])}")
        return 0
    rows = photo_rows(conn)
    if args.errors:
        rows = [r for r in rows if r["status"] == "error"]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            extra = f"{r['faces']} faces" if r["status"] == "ok" else f"{r['reason']}: {r['error']}"
            print(f"{r['path']}  {extra}")
    return 0
