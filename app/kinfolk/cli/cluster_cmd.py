"""``kinfolk cluster``: match faces to named people, then group the unknown ones."""

from __future__ import annotations

import sys
import time

from kinfolk.cli.common import library_path, open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("cluster", parents=[parents],
                       help="match faces to named people and group the unknown faces")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    from kinfolk.core.library import Library

    library = Library(library_path(args), open_library(args))
    t0 = time.monotonic()
    report = library.after_scan()
    if args.json:
        print_json({"models": report.models, "seconds": round(time.monotonic() - t0, 2)})
    else:
        for model, m in report.models.items():
            print(f"{model}: {m['matched']} faces matched to named people, {m['suggested']} with "
                  f"suggestions, {m['clusters']} unnamed groups", file=sys.stderr)
    return 0
