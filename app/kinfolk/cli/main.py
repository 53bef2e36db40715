"""The ``kinfolk`` command: global options, sub-command dispatch, exit codes.

Exit status: 0 success, 1 an error (one clear line on stderr), 2 a usage error (argparse), 141 when
the reader of the output went away (``kinfolk photos | head``).
With no sub-command, the desktop app opens.
"""

from __future__ import annotations

import argparse
import logging
import sys

from kinfolk.cli import (calibrate_cmd, cluster_cmd, evaluate_cmd, faces_cmd, forget_cmd, models_cmd,
    naming_cmd, people_cmd, photos_cmd, scan_cmd, selftest_cmd, suggestions_cmd, verify_cmd, xmp_cmd)
from kinfolk.cli.common import UserError

COMMANDS = [scan_cmd, cluster_cmd, people_cmd, naming_cmd, suggestions_cmd, photos_cmd, faces_cmd,
            forget_cmd, verify_cmd, models_cmd, calibrate_cmd, evaluate_cmd, xmp_cmd,
            selftest_cmd]


def build_parser() -> argparse.ArgumentParser:
    globals_ = argparse.ArgumentParser(add_help=False)
    globals_.add_argument("--library", metavar="PATH",
                          help="library file (default: in the user data dir; env KINFOLK_LIBRARY)")
    globals_.add_argument("--models", metavar="DIR",
                          help="extra folder to find model packs in (env KINFOLK_MODELS)")
    globals_.add_argument("-v", "--verbose", action="store_true", help="log details on stderr")
    globals_.add_argument("--self-test", action="store_true",
                          help="check that this installation works, then exit (= 'kinfolk self-test')")
    parser = argparse.ArgumentParser(
        prog="kinfolk", parents=[globals_],
        description="Organize a photo library by the people in it. Offline; nothing leaves this computer.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Sub-commands accept the global options too (after the command name), without overriding
    # a value given before it.
    sub_globals = argparse.ArgumentParser(add_help=False)
    for action in globals_._actions:
        kwargs = {"help": argparse.SUPPRESS, "default": argparse.SUPPRESS}
        if isinstance(action, argparse._StoreTrueAction):
            sub_globals.add_argument(*action.option_strings, action="store_true", **kwargs)
        else:
            sub_globals.add_argument(*action.option_strings, metavar=action.metavar, **kwargs)
    sub.add_parser("gui", parents=[sub_globals], help="open the desktop app (the default)")
    for mod in COMMANDS:
        mod.add_parser(sub, sub_globals)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.models:
        import os

        os.environ["KINFOLK_MODELS"] = args.models
    if args.self_test and args.command is None:
        args.only, args.command, args.run = None, "self-test", selftest_cmd.run
    if args.command in (None, "gui"):
        try:
            from kinfolk.gui.app import main as gui_main
        except ImportError as exc:
            print(f"kinfolk: the desktop app is not available ({exc})", file=sys.stderr)
            return 1
        return gui_main(args)
    try:
        status = args.run(args) or 0
        sys.stdout.flush()  # a closed pipe is met here, not in the interpreter's exit
        return status
    except UserError as exc:
        print(f"kinfolk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kinfolk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kinfolk photos | head`): stop quietly, as cat and ls do, with
        # their status (128 + SIGPIPE). stdout goes to devnull so flushing at exit cannot fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        import sqlite3

        from kinfolk.core.faces.models import ModelError
        from kinfolk.db.connection import LibraryError, translate_error
        from kinfolk.cli.common import library_path

        if isinstance(exc, (sqlite3.Error, OSError)):
            # An environment problem met outside a transaction (a full disk, a failing drive).
            exc = translate_error(exc, library_path(args))
        if isinstance(exc, (ModelError, LibraryError)):
            print(f"kinfolk: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
