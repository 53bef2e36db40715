"""``kinfolk self-test`` (also ``kinfolk --self-test``): check that this install is whole.

Prints one line per check (see ``core/selftest.py``; the desktop app adds ``qt``) and exits 0 only if
every check passed, so installers and CI can run it after building. ``--models DIR`` makes the ONNX
check load the best pack in DIR (and fail if DIR holds none).
"""

from __future__ import annotations

import sys
import time


def add_parser(sub, parents) -> None:
    p = sub.add_parser("self-test", parents=[parents],
                       help="check that this installation works (models, dlib, database, window)")
    p.add_argument("--only", action="append", metavar="CHECK",
                   help="run only this check (repeatable): decode, dlib, onnx, clustering, sqlite, qt")
    p.set_defaults(run=run)


def checks() -> dict:
    from kinfolk.core.selftest import CHECKS

    out = dict(CHECKS)
    try:
        from kinfolk.gui.selftest import check_qt
    except ImportError as exc:  # Qt missing: that is a failed check, not a crash
        def check_qt(ctx, exc=exc):
            raise RuntimeError(f"the desktop app cannot load: {exc}")
    out["qt"] = check_qt
    return out


def run(args) -> int:
    from kinfolk import __version__
    from kinfolk.core.selftest import run_checks

    chosen = checks()
    if args.only:
        unknown = sorted(set(args.only) - set(chosen))
        if unknown:
            from kinfolk.cli.common import UserError

            raise UserError(f"unknown check {', '.join(unknown)}; choose from {', '.join(chosen)}")
        chosen = {k: v for k, v in chosen.items() if k in args.only}
    print(f"Kinfolk {__version__} self-test ({sys.executable})", flush=True)
    t0 = time.perf_counter()

    def show(r) -> None:
        print(f"{'ok  ' if r.ok else 'FAIL'} {r.name:<10} {r.detail} [{r.seconds:.2f} s]", flush=True)

    results = run_checks(chosen, getattr(args, "models", None), report=show)
    failed = [r.name for r in results if not r.ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed in {time.perf_counter() - t0:.1f} s",
          flush=True)
    return 1 if failed else 0
