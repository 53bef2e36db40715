"""One scan of a library at a time, across processes: an OS lock on a file beside the library.

Two scans of one library would do all the work twice and fight over the same rows, so a scan holds
``ScanLock`` for its whole run; a second scan (another ``kinfolk scan``, the app, a second window)
is refused with ``ScanInProgressError`` naming who holds it, or waits (``wait=True``).

Why a lock file and not SQLite: the lock must outlive many short transactions and vanish when its
holder dies (``kill -9``, power loss) without a stale row to clean up. ``flock`` (Unix) and
``msvcrt.locking`` (Windows) are released by the OS when the process ends. ``flock`` — not
``fcntl``/POSIX locks — because closing *any* descriptor of a file drops a process's POSIX locks on
it (the hazard that lost SQLite's locks when a file dialog touched the library; see
docs/architecture.md), while a ``flock`` belongs to its own open file. The file is
``<library>-scan.lock``; it holds the holder's pid, program and start time for the message (read
without the lock; a leftover file from a dead holder is harmless, the OS lock is the truth).
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import sys
import time
from pathlib import Path
from typing import Callable

from kinfolk.db.connection import LibraryError, translate_error
from kinfolk.core.cancel import CancelToken

_INFO_OFFSET = 1  # byte 0 is the locked byte on Windows; the holder's description follows it


class ScanInProgressError(LibraryError):
    """Another scan of the same library is running."""


def lock_path(library: str | os.PathLike[str]) -> Path:
    path = Path(library)
    return path.with_name(path.name + "-scan.lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class ScanLock:
    """``with ScanLock(library, program="kinfolk scan"):`` … Not reentrant: a second ``ScanLock``
    on the same library, even in the same process, is refused (or waits)."""

    def __init__(self, library: str | os.PathLike[str], program: str = "a Kinfolk scan",
                 wait: bool = False, cancel: CancelToken | None = None,
                 on_wait: Callable[[str], None] | None = None, poll: float = 0.25) -> None:
        self.path = lock_path(library)
        self.program = program
        self.wait = wait
        self.cancel = cancel
        self.on_wait = on_wait  # called once with the holder's description when waiting starts
        self.poll = poll
        self._fd: int | None = None

    def holder(self) -> str:
        """Who holds the lock, as written by them ("kinfolk scan, pid 123, since 10:42")."""
        try:
            with open(self.path, "rb") as f:
                f.seek(_INFO_OFFSET)
                return f.read(200).decode("utf-8", "replace").strip() or "another program"
        except OSError:
            return "another program"

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # a new library's folder
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            translated = translate_error(exc)
            if translated is not exc:
                raise translated from exc
            if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
                raise LibraryError(f"cannot scan: the library's folder is read-only ({self.path.parent})"
                                   ) from exc
            raise
        told = False
        while not _try_lock(fd):
            if not self.wait:
                os.close(fd)
                raise ScanInProgressError(
                    f"another scan of this library is running ({self.holder()}); wait for it to "
                    "finish or stop it, then scan again")
            if not told and self.on_wait is not None:
                self.on_wait(self.holder())
                told = True
            if self.cancel is not None:
                try:
                    self.cancel.check()
                except BaseException:
                    os.close(fd)
                    raise
            time.sleep(self.poll)
        since = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        info = f"{self.program}, pid {os.getpid()}, since {since}".encode()
        try:
            os.ftruncate(fd, _INFO_OFFSET)
            os.lseek(fd, _INFO_OFFSET, os.SEEK_SET)
            os.write(fd, info)
        except OSError:
            pass  # the description is a courtesy; the lock is held
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> "ScanLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
