"""``kinfolk xmp``: names that travel with the photos (XMP face regions, Picasa).

- ``xmp import [--json]``: read named face regions (MWG, Microsoft, .picasa.ini) of every photo
  and make them confirmed faces (a scan does this for the photos it scans); prints the report.
- ``xmp write [--person NAME] [--sidecar-name ext|replace] [--json]``: write the names of
  confirmed faces into XMP sidecars (never into the photos).
- ``xmp sync on|off [--sidecar-name ...]``: keep sidecars in sync after every edit in the app.
- ``xmp regions [--json]``: regions read from metadata that named no face (unmatched, conflicts).
"""

from __future__ import annotations

import sys

from kinfolk.cli.common import UserError, open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("xmp", parents=[parents], help="read and write face names in XMP sidecars")
    xs = p.add_subparsers(dest="xmp_command", metavar="ACTION", required=True)
    imp = xs.add_parser("import", parents=[parents], help="name faces from the photos' metadata")
    imp.add_argument("--json", action="store_true", help="the import report as JSON")
    imp.add_argument("--picasa-contacts", metavar="FILE",
                     help="Picasa's contacts.xml, for names missing from [Contacts2]")
    imp.set_defaults(run=run_import)
    wr = xs.add_parser("write", parents=[parents], help="write names of confirmed faces to sidecars")
    wr.add_argument("--person", metavar="NAME", help="only this person's regions")
    wr.add_argument("--sidecar-name", choices=["ext", "replace"], default=None,
                    help="ext: photo.jpg.xmp (digiKam, darktable; default); "
                         "replace: photo.xmp (Lightroom, Capture One)")
    wr.add_argument("--json", action="store_true")
    wr.set_defaults(run=run_write)
    sy = xs.add_parser("sync", parents=[parents], help="keep sidecars in sync after edits (app)")
    sy.add_argument("state", choices=["on", "off"])
    sy.add_argument("--sidecar-name", choices=["ext", "replace"], default=None)
    sy.set_defaults(run=run_sync)
    rg = xs.add_parser("regions", parents=[parents],
                       help="regions from metadata that named no face (kept, not lost)")
    rg.add_argument("--json", action="store_true")
    rg.set_defaults(run=run_regions)


def run_import(args) -> int:
    from kinfolk.core.metadata.picasa_ini import contacts_from_xml
    from kinfolk.core.metadata.region_import import import_regions

    conn = open_library(args)
    contacts = contacts_from_xml(args.picasa_contacts) if args.picasa_contacts else None
    report = import_regions(conn, picasa_contacts=contacts)
    if args.json:
        print_json(report.to_json())
        return 0
    print(report.summary(), file=sys.stderr)
    for c in report.conflicts:
        print(f"  conflict: {c['photo']}: the file says {c['name']}, {c['reason']}", file=sys.stderr)
    for u in report.unmatched[:50]:
        print(f"  no face found under {u['name']} in {u['photo']}", file=sys.stderr)
    if len(report.unmatched) > 50:
        print(f"  ... and {len(report.unmatched) - 50} more ('--json' lists all)", file=sys.stderr)
    for e in report.errors:
        print(f"  unreadable: {e['file']}: {e['message']}", file=sys.stderr)
    return 0


def run_write(args) -> int:
    from kinfolk.core.people.edits import PeopleError
    from kinfolk.core.metadata.sidecar_writer import sidecar_naming, write_sidecars

    conn = open_library(args)
    naming = args.sidecar_name or sidecar_naming(conn)
    try:
        report = write_sidecars(conn, person=args.person, naming=naming)
    except PeopleError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print_json(report.to_json())
    else:
        print(report.summary(), file=sys.stderr)
        for s in report.skipped:
            print(f"  skipped {s['sidecar']}: {s['reason']}", file=sys.stderr)
        for e in report.errors:
            print(f"  not written {e['sidecar']}: {e['message']}", file=sys.stderr)
    return 1 if report.errors else 0


def run_sync(args) -> int:
    from kinfolk.core.metadata.sidecar_writer import set_sync

    conn = open_library(args)
    set_sync(conn, args.state == "on", args.sidecar_name)
    print(f"Keeping XMP sidecars in sync after edits: {args.state}", file=sys.stderr)
    return 0


def run_regions(args) -> int:
    from kinfolk.db.regions import imported_regions

    conn = open_library(args)
    rows = [{"photo": r.photo, "name": r.name, "box": [round(v, 1) for v in r.box],
             "origin": r.origin, "file": r.file, "status": r.status, "face": r.face_id,
             "detail": r.detail}
            for r in imported_regions(conn)]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['photo']}  {r['name']}  {r['status']}" + (f" ({r['detail']})" if r["detail"] else ""))
    return 0
