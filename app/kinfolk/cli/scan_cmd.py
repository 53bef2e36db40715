"""``kinfolk scan FOLDER...``: index every face in the folders (incremental; resumable)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kinfolk.cli.common import UserError, counted, fmt_duration, library_path


def add_parser(sub, parents) -> None:
    p = sub.add_parser("scan", parents=[parents], help="find and recognize every face in folders")
    p.add_argument("folders", nargs="+", metavar="FOLDER",
                   help="photo folders (every photo below them); they join the library's folders")
    p.add_argument("--backend", choices=["auto", "onnx", "dlib"], default="auto",
                   help="face models: auto (the best installed pack, else dlib), onnx or dlib")
    p.add_argument("--pack", help="ONNX model pack id (see 'kinfolk models')")
    p.add_argument("--workers", type=int, default=None, help="decode/detect threads")
    p.add_argument("--providers", default=None,
                   help="execution provider: auto, cuda, directml, coreml or cpu")
    p.add_argument("--min-face", type=int, default=None, help="minimum face size in pixels")
    p.add_argument("--wait", action="store_true",
                   help="if another scan of this library is running, wait for it (default: refuse)")
    p.set_defaults(run=run)


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal, every few seconds otherwise."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0

    def __call__(self, p) -> None:
        if p.phase == "walking":
            self.stream.write("Looking for photos...\n")
            return
        if p.phase == "waiting":
            self.stream.write(f"Waiting for another scan of this library to finish ({p.path})...\n")
            self.stream.flush()
            return
        now = time.monotonic()
        if not self.tty and now - self.last < 5 and p.phase != "done":
            return
        self.last = now
        width = 24
        frac = p.done / p.total if p.total else 1.0
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        line = (f"[{bar}] {p.done}/{p.total} photos  {counted(p.faces, 'face')}  {counted(p.errors, 'error')}  "
                f"{p.rate:.1f} photos/s  ETA {fmt_duration(p.eta)}")
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        if p.phase == "done" and self.tty:
            self.stream.write("\n")
        self.stream.flush()


def _known_folder(args, folder: Path) -> bool:
    path = library_path(args)
    if not path.exists():
        return False
    from kinfolk.db import folders as db_folders
    from kinfolk.db.connection import opened

    with opened(path) as conn:
        return str(folder.resolve()) in db_folders.list_folders(conn)


def run(args) -> int:
    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.cancel import CancelToken
    from kinfolk.core.filenames import readable
    from kinfolk.core.library import Library
    from kinfolk.core.scan.scanner import ScanError, Scanner

    folders = [Path(f).expanduser() for f in args.folders]
    for f in folders:
        # A folder the library already knows may be offline (unplugged): scan reports it and keeps
        # its photos. A new path that is not a folder is a typo.
        if not f.is_dir() and not _known_folder(args, f):
            raise UserError(f"not a folder: {f}")
    backend = make_backend(args.backend, args.pack, args.models, args.providers)
    path = library_path(args)
    with Library(path) as library:
        opts = library.scan_options()
    if args.workers:
        opts.workers = args.workers
    if args.min_face:
        opts.min_face_size = args.min_face
    opts.wait_for_other_scan = args.wait
    opts.lock_owner = "kinfolk scan"
    print(f"Model: {backend.pack_id} ({backend.model_id}) on {', '.join(backend.providers)}",
          file=sys.stderr)
    control = CancelToken()
    scanner = Scanner(path, folders, backend, opts, ProgressBar(), control)
    try:
        s = scanner.run()
    except KeyboardInterrupt:
        control.cancel()
        raise
    except ScanError as exc:
        raise UserError(str(exc)) from exc
    print(f"{s.found} photos ({s.processed} scanned, {s.unchanged} unchanged, {s.moved} moved, "
          f"{s.missing} missing), {counted(s.faces, 'face')}, {counted(s.errors, 'error')} in "
          f"{fmt_duration(s.elapsed)} ({s.rate:.1f} photos/s)", file=sys.stderr)
    for root, _reason, msg in s.offline:
        print(f"  offline: {readable(root)}: {msg}", file=sys.stderr)
    if s.returned:
        print(f"  {s.returned} photo(s) marked missing before are back, with their faces",
              file=sys.stderr)
    if s.missing:
        print(f"  {s.missing} photo(s) were not found: they are kept with their faces and names; "
              "'kinfolk photos --missing' lists them, 'kinfolk photos --remove-missing' removes them",
              file=sys.stderr)
    for path_, reason, msg in s.problems[:20]:
        print(f"  {reason}: {readable(path_)}: {msg}", file=sys.stderr)
    if s.regions is not None and (s.regions.photos_with_regions or s.regions.errors):
        print(s.regions.summary() + " ('kinfolk xmp import' lists them)", file=sys.stderr)
    for path_, reason, msg in s.error_list[:20]:
        print(f"  {reason}: {readable(path_)}: {msg}", file=sys.stderr)
    if len(s.error_list) > 20:
        print(f"  ... and {len(s.error_list) - 20} more ('kinfolk photos --json' lists all)",
              file=sys.stderr)
    if not s.cancelled:
        # The same rule as the app: after every scan, match to named people and group the rest.
        with Library(path) as library:
            report = library.after_scan()
        print(describe_organize(report), file=sys.stderr)
    return 0


def describe_organize(report) -> str:
    """What matching and grouping did after a scan: one line of figures, then who was recognized
    ("Recognized: Anna 5, Ben 2, Grandma 1", the top 5 then "and N others") and who has new
    suggestions, each on a line of its own when there is someone to name."""
    from kinfolk.core.clustering.grouping import names_with_counts

    lines = [f"{report.matched} faces recognized as named people, {report.suggested} with suggestions to check, "
             f"{report.clusters} unnamed groups"]
    if report.recognized:
        lines.append("Recognized: " + names_with_counts(report.recognized))
    if report.suggested_people:
        lines.append("Suggested: " + names_with_counts(report.suggested_people)
                     + " ('kinfolk suggestions' lists them)")
    return "\n".join(lines)
