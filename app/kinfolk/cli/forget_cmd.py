"""``kinfolk forget NAME``: erase every trace of a person's biometric data (asks first)."""

from __future__ import annotations

import sys

from kinfolk.cli.common import UserError, open_library


def add_parser(sub, parents) -> None:
    p = sub.add_parser("forget", parents=[parents], help="erase a person's faces and name for good")
    p.add_argument("person", nargs="+", help="names or ids of the people to forget")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(run=run)


def run(args) -> int:
    from kinfolk.core.people import forget
    from kinfolk.core.people.edits import PeopleError

    conn = open_library(args)
    try:
        plan = forget.plan(conn, " ".join(args.person))
    except PeopleError as exc:
        raise UserError(str(exc)) from exc
    print(plan.describe(), file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("refusing to forget without confirmation: add --yes")
        answer = input(f"Type the name ({plan.name}) to confirm: ")
        if answer.strip().lower() != plan.name.lower():
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    failures = forget.forget(conn, plan)
    print(f"{plan.name} is forgotten.", file=sys.stderr)
    for f in failures:
        print(f"  could not remove the name from {f['sidecar']}: {f['message']}", file=sys.stderr)
    return 0
