"""``kinfolk suggestions``: faces that may be a named person, most likely first."""

from __future__ import annotations

from dataclasses import asdict

from kinfolk.cli.common import open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("suggestions", parents=[parents], help="faces to confirm or reject")
    p.add_argument("--person", help="only this person's suggestions")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    from kinfolk.core.people.matching import list_suggestions
    from kinfolk.core.people.edits import resolve_person

    conn = open_library(args)
    pid = resolve_person(conn, args.person) if args.person else None
    rows = list_suggestions(conn, pid)
    if args.json:
        print_json([asdict(s) for s in rows])
    else:
        for s in rows:
            print(f"face {s.face_id}: {s.person}? similarity {s.similarity:.3f}  {s.photo}")
        if rows:
            print("Accept: kinfolk confirm FACE PERSON   Refuse: kinfolk reject FACE PERSON")
        else:
            print("No suggestions: nothing to review.")
    return 0
