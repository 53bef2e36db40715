"""Naming commands: ``name``, ``rename``, ``merge``, ``move``, ``reject``, ``confirm``, ``hide``,
``set`` (birth date, cover face).

FACE arguments are face ids as printed by ``kinfolk faces --json``; PERSON is a name or an id.
"""

from __future__ import annotations

import sys

from kinfolk.cli.common import UserError, library_path, open_library


def add_parser(sub, parents) -> None:
    p = sub.add_parser("name", parents=[parents], help="name an unnamed group (existing name merges)")
    p.add_argument("cluster", type=int, metavar="GROUP", help="a group number from 'kinfolk people'")
    p.add_argument("name", nargs="+", help="the person's name (a name already used adds the group to them)")
    p.set_defaults(run=run_name)
    p = sub.add_parser("rename", parents=[parents], help="rename a person")
    p.add_argument("person", help="name or id")
    p.add_argument("new_name", nargs="+", help="another person's name merges into them")
    p.set_defaults(run=run_rename)
    p = sub.add_parser("merge", parents=[parents], help="merge SOURCE person into TARGET")
    p.add_argument("source", help="name or id of the person who goes away")
    p.add_argument("target", help="name or id of the person who keeps the faces")
    p.set_defaults(run=run_merge)
    p = sub.add_parser("move", parents=[parents], help="move faces to a person (--new: a new name)")
    p.add_argument("faces", type=int, nargs="+", metavar="FACE", help="face ids ('kinfolk faces --json')")
    p.add_argument("--to", required=True, metavar="PERSON", help="name or id")
    p.add_argument("--new", action="store_true",
                   help="PERSON may be a new name: the faces become that person's first faces "
                        "(e.g. to take faces named wrongly out of someone)")
    p.set_defaults(run=run_move)
    p = sub.add_parser("reject", parents=[parents], help="'not this person' (remembered)")
    p.add_argument("face", type=int, metavar="FACE", help="face id ('kinfolk suggestions', 'kinfolk faces --json')")
    p.add_argument("person", help="name or id of the person it is not")
    p.set_defaults(run=run_reject)
    p = sub.add_parser("confirm", parents=[parents], help="accept a suggestion")
    p.add_argument("face", type=int, metavar="FACE", help="face id ('kinfolk suggestions')")
    p.add_argument("person", help="name or id of the person it is")
    p.set_defaults(run=run_confirm)
    p = sub.add_parser("hide", parents=[parents], help="hide a person, or an unnamed group (strangers)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--person", help="name or id: no longer shown (their faces and name are kept)")
    g.add_argument("--group", type=int, help="an unnamed group of strangers: hidden for good")
    g.add_argument("--strangers", action="store_true",
                   help="with --unhide: bring back every hidden group's faces")
    p.add_argument("--unhide", action="store_true", help="show the person (or the strangers) again")
    p.set_defaults(run=run_hide)
    p = sub.add_parser("set", parents=[parents], help="a person's birth date or cover face")
    p.add_argument("person", help="name or id")
    p.add_argument("--born", metavar="YYYY-MM-DD",
                   help="birth date: faces in photos taken before it are never suggested")
    p.add_argument("--no-born", action="store_true", help="clear the birth date")
    p.add_argument("--cover", type=int, metavar="FACE", help="the face shown on the person's card")
    p.set_defaults(run=run_set)


def _do(args, fn, *a, say=None):
    """Run a people edit, then re-match (new confirmed faces change who the unknown faces look like).
    ``say(change, people)`` words the outcome for stderr (``people``: id -> PersonSummary after
    the edit and the re-match), so no edit is silent and a merge never passes for a new name."""
    from kinfolk.core.library import Library
    from kinfolk.core.people.edits import PeopleError, list_people

    library = Library(library_path(args), open_library(args))
    try:
        change = library.edit(fn, *a)
    except PeopleError as exc:
        raise UserError(str(exc)) from exc
    if say is not None:
        people = {p.id: p for p in list_people(library.conn, include_hidden=True)}
        print(say(change, people), file=sys.stderr)
    if getattr(change, "note", ""):
        print(change.note, file=sys.stderr)  # e.g. "1 face left out: Anna is already in that photo."
    return change


def _counts(person) -> str:
    return (f"{person.photos} photo{'s' * (person.photos != 1)}, "
            f"{person.faces} face{'s' * (person.faces != 1)}")


def _is_new(change, pid: int) -> bool:
    """Whether the edit created person ``pid`` (its before-image is "did not exist")."""
    return pid in change.persons_before and change.persons_before[pid] is None


def run_name(args) -> int:
    from kinfolk.core.people.edits import name_cluster

    def say(change, people) -> str:
        person = people[change.result]
        if _is_new(change, person.id):
            return f"group {args.cluster} is now {person.name} ({_counts(person)})"
        return f"group {args.cluster} added to {person.name}, who already had that name ({_counts(person)} now)"

    _do(args, name_cluster, args.cluster, " ".join(args.name), say=say)
    return 0


def run_rename(args) -> int:
    from kinfolk.core.people.edits import rename

    new_name = " ".join(args.new_name)

    def say(change, people) -> str:
        merged = [pid for pid, before in change.persons_before.items() if pid not in people and before]
        if merged:  # renamed to someone else's name: a merge
            return f"{args.person} merged into {people[change.result].name}, who already had that name"
        return f"{args.person} is now called {new_name}"

    _do(args, rename, args.person, new_name, say=say)
    return 0


def run_merge(args) -> int:
    from kinfolk.core.people.edits import merge

    _do(args, merge, args.source, args.target,
        say=lambda change, people: f"{args.source} merged into {people[change.result].name} "
                                   f"({_counts(people[change.result])} now)")
    return 0


def run_move(args) -> int:
    from kinfolk.core.people.edits import PeopleError, move_faces, name_faces, resolve_person

    n = len(args.faces)
    op = move_faces
    if args.new:
        op = name_faces  # creates the person if the name is new, else the same as a move
    else:
        conn = open_library(args)
        try:
            resolve_person(conn, args.to)
        except PeopleError as exc:
            raise UserError(f"{exc}; to give the faces a new name, add --new") from exc
        finally:
            conn.close()

    def say(change, people) -> str:
        person = people[change.result]
        new = " (a new person)" if _is_new(change, person.id) else ""
        return f"{n} face{'s' * (n != 1)} moved to {person.name}{new}"

    _do(args, op, args.faces, args.to, say=say)
    return 0


def run_reject(args) -> int:
    from kinfolk.core.people.edits import reject

    _do(args, reject, [args.face], args.person)
    return 0


def run_confirm(args) -> int:
    from kinfolk.core.people.edits import confirm

    _do(args, confirm, [args.face], args.person)
    return 0


def run_hide(args) -> int:
    from kinfolk.core.people.edits import hide_cluster, set_hidden, unhide_strangers

    if args.strangers:
        if not args.unhide:
            raise UserError("hide a group with --group N; --strangers goes with --unhide")
        n = _do(args, unhide_strangers).result
        print(f"{n} hidden faces are back; run 'kinfolk cluster' to group them", file=sys.stderr)
    elif args.group is not None:
        if args.unhide:
            raise UserError("groups are renumbered when hidden; use --strangers --unhide")
        change = _do(args, hide_cluster, args.group)
        n = len(change.faces)
        print(f"group {args.group} hidden ({n} face{'s' * (n != 1)}): never suggested or grouped again; "
              "'kinfolk hide --strangers --unhide' brings them back", file=sys.stderr)
    else:
        _do(args, set_hidden, args.person, not args.unhide)
        print(f"{args.person} is {'shown again' if args.unhide else 'hidden (faces and name are kept)'}",
              file=sys.stderr)
    return 0


def run_set(args) -> int:
    from kinfolk.core.people.edits import set_birth_date, set_cover

    if args.born or args.no_born:
        _do(args, set_birth_date, args.person, None if args.no_born else args.born)
        print(f"{args.person}: birth date {'cleared' if args.no_born else args.born}", file=sys.stderr)
    if args.cover is not None:
        _do(args, set_cover, args.person, args.cover)
        print(f"{args.person}: face {args.cover} is the cover", file=sys.stderr)
    if not (args.born or args.no_born or args.cover is not None):
        raise UserError("nothing to set: give --born DATE, --no-born or --cover FACE")
    return 0
