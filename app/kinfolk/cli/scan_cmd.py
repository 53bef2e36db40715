"""``kinfolk scan FOLDER...``: index every face in the folders (incremental; resumable)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .common import UserError, fmt_duration, library_path


def add_parser(sub, parents) -> None:
    p = sub.add_parser("scan", parents=[parents], help="find and recognize every face in folders")
    p.add_argument("folders", nargs="+", metavar="FOLDER")
    p.add_argument("--backend", choices=["auto", "onnx", "dlib"], default="auto")
    p.add_argument("--pack", help="ONNX model pack id (see 'kinfolk models')")
    p.add_argument("--workers", type=int, default=None, help="decode/detect threads")
    p.add_argument("--providers", default=None,
                   help="execution provider: auto, cuda, directml, coreml or cpu")
    p.add_argument("--min-face", type=int, default=None, help="minimum face size in pixels")
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
        now = time.monotonic()
        if not self.tty and now - self.last < 5 and p.phase != "done":
            return
        self.last = now
        width = 24
        frac = p.done / p.total if p.total else 1.0
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        line = (f"[{bar}] {p.done}/{p.total} photos  {p.faces} faces  {p.errors} errors  "
                f"{p.rate:.1f} photos/s  ETA {fmt_duration(p.eta)}")
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        if p.phase == "done" and self.tty:
            self.stream.write("\n")
        self.stream.flush()


def run(args) -> int:
    from ..core.backend_choice import make_backend
    from ..core.cancel import CancelToken
    from ..core.scanner import ScanOptions, Scanner

    folders = [Path(f).expanduser() for f in args.folders]
    for f in folders:
        if not f.is_dir():
            raise UserError(f"not a folder: {f}")
    backend = make_backend(args.backend, args.pack, args.models, args.providers)
    opts = ScanOptions()
    if args.workers:
        opts.workers = args.workers
    if args.min_face:
        opts.min_face_size = args.min_face
    print(f"Model: {backend.pack_id} ({backend.model_id}) on {', '.join(backend.providers)}",
          file=sys.stderr)
    control = CancelToken()
    scanner = Scanner(library_path(args), folders, backend, opts, ProgressBar(), control)
    try:
        s = scanner.run()
    except KeyboardInterrupt:
        control.cancel()
        raise
    print(f"{s.found} photos ({s.processed} scanned, {s.unchanged} unchanged, {s.moved} moved, "
          f"{s.deleted} removed), {s.faces} faces, {s.errors} errors in "
          f"{fmt_duration(s.elapsed)} ({s.rate:.1f} photos/s)", file=sys.stderr)
    if s.regions is not None and (s.regions.photos_with_regions or s.regions.errors):
        print(s.regions.summary() + " ('kinfolk xmp import' lists them)", file=sys.stderr)
    for path, reason, msg in s.error_list[:20]:
        print(f"  {reason}: {path}: {msg}", file=sys.stderr)
    if len(s.error_list) > 20:
        print(f"  ... and {len(s.error_list) - 20} more ('kinfolk photos --json' lists all)",
              file=sys.stderr)
    return 0
