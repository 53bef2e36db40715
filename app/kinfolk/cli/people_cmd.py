"""``kinfolk people``: named people and unnamed groups with their counts."""

from __future__ import annotations

from dataclasses import asdict

from kinfolk.cli.common import counted, open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("people", parents=[parents], help="named people and unnamed groups")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include hidden people")
    p.set_defaults(run=run)


def run(args) -> int:
    from kinfolk.core.people.edits import list_clusters, list_people

    conn = open_library(args)
    people = list_people(conn, include_hidden=args.all)
    clusters = list_clusters(conn)
    if args.json:
        print_json({"people": [p._asdict() for p in people], "clusters": [asdict(c) for c in clusters]})
        return 0
    print("People:" if people else "No named people yet.")
    for p in people:
        extra = " (hidden)" if p.hidden else ""
        sugg = f", {counted(p.suggestions, 'suggestion')}" if p.suggestions else ""
        print(f"  {p.name}{extra}: {counted(p.photos, 'photo')}, {counted(p.faces, 'face')}{sugg}")
    if clusters:
        print("Unnamed groups (name one with: kinfolk name GROUP NAME):")
        for c in clusters:
            print(f"  group {c.id}: {counted(c.faces, 'face')} in {counted(c.photos, 'photo')}")
    return 0
