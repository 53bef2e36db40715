"""Finding the photos under the library's folders, and saying what could not be looked at.

``Walk`` never opens a file that is not a regular file (a FIFO would block a worker forever) nor the
library's own files; what cannot be a photo row (an unlistable folder, an over-long path) is kept in
``Walk.problems`` for the scan's summary (docs/robustness.md).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass
from typing import Collection, Iterable, Iterator

from kinfolk.core.filenames import readable
from kinfolk.core.imaging.imageio import sniff_format

log = logging.getLogger(__name__)

IMAGE_EXTS = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic",
              ".heif", ".avif", ".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srw", ".orf",
              ".rw2", ".raf", ".pef"}
SKIP_DIRS = {"@eaDir", "$RECYCLE.BIN", "System Volume Information", "__MACOSX", "lost+found"}


@dataclass
class Found:
    """An image-like entry under a root: a file with its stat, or something that cannot be read as
    one (``problem`` = (reason, message): a FIFO or device, a dangling or looping link)."""

    path: str
    stat: os.stat_result | None
    problem: tuple[str, str] | None = None


class Walk:
    """Iterate the image files under ``roots`` (sorted, depth first), noting what could not be looked at.

    Skips hidden and system folders; follows symlinked folders once (a folder reached twice, e.g.
    through a loop, is skipped and noted). After iteration: ``offline`` maps each root that is gone,
    not a folder or unreadable to (reason, message); ``empty_roots`` holds roots with no entry at all
    (the caller decides whether that means an unmounted drive); ``unreachable`` lists the folders
    whose contents are unknown (offline roots, subfolders that could not be listed); ``problems``
    has (path, reason, message) for each of those and for over-long paths.
    Never opens a file that is not a regular file (a FIFO would block forever), nor the paths in
    ``skip`` (the library's own files: opening and closing them would drop SQLite's locks).
    """

    def __init__(self, roots: Iterable[str | os.PathLike[str]], skip: Collection[str] = ()) -> None:
        self.roots = [os.path.abspath(os.path.expanduser(os.fspath(r))) for r in roots]
        self.skip = {os.path.realpath(p) for p in skip}
        self._skip_names = {os.path.basename(p) for p in self.skip}
        self.offline: dict[str, tuple[str, str]] = {}
        self.empty_roots: set[str] = set()
        self.unreachable: list[str] = []
        self.problems: list[tuple[str, str, str]] = []

    def __iter__(self) -> Iterator[Found]:
        seen_dirs: dict[tuple[int, int], str] = {}
        for root in self.roots:
            entries = self._list_root(root)
            if entries is None:
                continue
            try:
                st = os.stat(root)
                seen_dirs[(st.st_dev, st.st_ino)] = root
            except OSError:
                pass
            yield from self._walk_dir(root, entries, seen_dirs)

    def _list_root(self, root: str) -> list[os.DirEntry[str]] | None:
        try:
            if not os.path.isdir(root):
                if os.path.lexists(root) and os.path.exists(root):
                    raise NotADirectoryError(root)
                raise FileNotFoundError(root)
            entries = self._list(root)
        except FileNotFoundError:
            self._offline(root, "gone", "the folder is not there (an unplugged drive or an "
                          "unmounted share?); its photos are kept")
            return None
        except NotADirectoryError:
            self._offline(root, "not_folder", "this is not a folder any more; its photos are kept")
            return None
        except OSError as exc:
            self._offline(root, _dir_reason(exc), f"the folder cannot be read ({_why(exc)}); "
                          "its photos are kept")
            return None
        if not entries:
            self.empty_roots.add(root)
        return entries

    def _offline(self, root: str, reason: str, message: str) -> None:
        self.offline[root] = (reason, message)
        self.unreachable.append(root)

    @staticmethod
    def _list(d: str) -> list[os.DirEntry[str]]:
        with os.scandir(d) as it:
            return sorted(it, key=lambda e: e.name)

    def _walk_dir(self, top: str, top_entries: list[os.DirEntry[str]],
                  seen_dirs: dict[tuple[int, int], str]) -> Iterator[Found]:
        stack: list[tuple[str, list[os.DirEntry[str]] | None]] = [(top, top_entries)]
        while stack:
            d, entries = stack.pop()
            if entries is None:
                try:
                    entries = self._list(d)
                except OSError as exc:
                    reason = _dir_reason(exc)
                    self.unreachable.append(d)
                    self.problems.append((d, reason, f"cannot look inside this folder ({_why(exc)}); "
                                          "the photos known in it are kept"))
                    log.warning("cannot list %s: %s", readable(d), readable(str(exc)))
                    continue
            subdirs = []
            for e in entries:
                if e.name.startswith(".") or e.name in SKIP_DIRS:
                    continue
                if e.name in self._skip_names and os.path.realpath(e.path) in self.skip:
                    continue
                try:
                    if e.is_dir():
                        st = e.stat()
                        key = (st.st_dev, st.st_ino)
                        if key in seen_dirs:
                            if e.is_symlink():
                                where = readable(seen_dirs[key])
                                self.problems.append((e.path, "link_loop", "skipped: this link leads "
                                                      f"to a folder already scanned ({where})"))
                            continue
                        seen_dirs[key] = e.path
                        subdirs.append(e.path)
                        continue
                    found = self._file(e)
                except OSError as exc:
                    found = self._unstattable(e, exc)
                if found is not None:
                    yield found
            stack.extend((sd, None) for sd in reversed(subdirs))

    def _file(self, e: os.DirEntry[str]) -> Found | None:
        if e.is_file():
            st = e.stat()
            return Found(e.path, st) if _looks_like_image(e.path, st) else None
        if not _has_image_ext(e.path):
            return None  # a FIFO, socket or dangling link without a photo's name: not a photo
        if e.is_symlink():
            try:
                os.stat(e.path)
            except OSError as exc:
                return self._unstattable(e, exc)
        kind = _special_kind(e)
        return Found(e.path, None, ("not_a_file", f"this is {kind}, not a file; it was not opened"))

    def _unstattable(self, e: os.DirEntry[str], exc: OSError) -> Found | None:
        if exc.errno == errno.ENAMETOOLONG:
            self.problems.append((e.path, "path_too_long", f"the path is too long for this system "
                                  f"({len(os.fsencode(e.path)):,} bytes); move it higher up"))
            return None
        if not _has_image_ext(e.path):
            return None
        if exc.errno == errno.ELOOP:
            return Found(e.path, None, ("link_loop", "this link points to itself (a loop of links)"))
        if e.is_symlink() and isinstance(exc, FileNotFoundError):
            try:
                target = readable(os.readlink(e.path))
            except OSError:
                target = "?"
            return Found(e.path, None, ("broken_link", f"this link points to {target}, which is not there"))
        return Found(e.path, None, ("unreadable", f"cannot look at this file ({_why(exc)})"))


def _why(exc: OSError) -> str:
    return exc.strerror or readable(str(exc))


def _dir_reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "path_too_long"
    return "permission" if isinstance(exc, PermissionError) else "unreadable"


def _special_kind(e: os.DirEntry[str]) -> str:
    try:
        mode = e.stat().st_mode
    except OSError:
        return "not a regular file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _has_image_ext(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in IMAGE_EXTS


def _looks_like_image(path: str, st: os.stat_result) -> bool:
    """Image extensions are taken as images (a broken one is reported); other files count only if
    their first bytes are an image signature, so sidecars and videos are ignored silently."""
    if _has_image_ext(path):
        return True
    if st.st_size < 12 or not stat.S_ISREG(st.st_mode):
        return False
    try:
        with open(path, "rb") as f:
            return sniff_format(f.read(64)) is not None
    except OSError:
        return False
