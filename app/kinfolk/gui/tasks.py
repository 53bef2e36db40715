"""The GUI's one background-task API: run a function off the GUI thread, get its outcome back on it.

    handle = runner.run(fn, on_success=show, on_error=report, on_progress=update)

``fn(ctx)`` runs in the runner's ``QThreadPool``; ``ctx`` is a ``TaskContext`` carrying a
``CancelToken`` (the same one core jobs such as ``Scanner`` take) and a ``progress()`` method.

Contracts:
- Every callback runs on the GUI thread (a queued signal into the runner, which lives there), exactly
  one of ``on_success(result)``, ``on_error(exc)`` or ``on_cancelled()`` per task, then the task is
  forgotten. ``fn`` raising ``Cancelled`` counts as cancelled; a job that returns normally after a
  cancel (``Scanner.run`` does, with ``summary.cancelled``) counts as a success.
- Progress is throttled in the worker (at most one report per ``progress_interval``) and coalesced in
  the GUI thread (a report still queued is overwritten, never stacked), so a job reporting a million
  times cannot flood the event loop (the idea of picard's ``thread.py``). The final report of a task is
  not guaranteed; its success callback is.
- Callbacks never run on a deleted widget: a task whose ``owner`` (or, by default, the object of a
  bound-method callback) was destroyed is cancelled and its outcome dropped. ``shutdown()`` cancels
  every task, waits for them, and drops outcomes that arrive afterwards. Call it on window close.

Core classes never subclass QObject: ``fn`` is plain Python; only this module talks to Qt threads
(the same split as anki's ``aqt.operations`` over ``anki``).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Qt, Signal, Slot

from kinfolk.core.cancel import Cancelled, CancelToken

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.08  # seconds between two progress reports of one task


@dataclass(frozen=True)
class Progress:
    """One progress report: ``done`` of ``total`` (None if unknown), a line of text, any payload."""

    done: int = 0
    total: int | None = None
    text: str = ""
    data: Any = None


class TaskContext:
    """What a background function gets: cancellation/pause and a throttled progress reporter."""

    def __init__(self, token: CancelToken, report: Callable[[Progress], None],
                 interval: float = PROGRESS_INTERVAL) -> None:
        self.token = token
        self._report = report
        self._interval = interval
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def check(self) -> None:
        """Raise ``Cancelled`` if cancelled; block while paused."""
        self.token.check()

    def progress(self, done: int = 0, total: int | None = None, text: str = "", data: Any = None,
                 *, force: bool = False) -> None:
        """Report progress; dropped if the previous report was less than the interval ago."""
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        self._report(Progress(done, total, text, data))


class TaskHandle:
    """A running task: cancel, pause or resume it from the GUI thread."""

    def __init__(self, task_id: int, name: str, token: CancelToken) -> None:
        self.id = task_id
        self.name = name
        self.token = token
        self.done = False

    def cancel(self) -> None:
        self.token.cancel()

    def pause(self) -> None:
        self.token.pause()

    def resume(self) -> None:
        self.token.resume()

    @property
    def paused(self) -> bool:
        return self.token.paused

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def __repr__(self) -> str:
        return f"<TaskHandle {self.id} {self.name!r}{' done' if self.done else ''}>"


@dataclass
class _Entry:
    handle: TaskHandle
    on_success: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    on_progress: Callable[[Progress], None] | None
    on_cancelled: Callable[[], None] | None
    owner: QObject | None = None
    latest: Progress | None = None  # coalescing slot for progress (guarded by the runner's lock)
    queued: bool = False


class _Job(QRunnable):
    def __init__(self, runner: "TaskRunner", entry: _Entry, fn: Callable[[TaskContext], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._runner = runner
        self._entry = entry
        self._fn = fn

    def run(self) -> None:  # pool thread
        entry, runner = self._entry, self._runner
        ctx = TaskContext(entry.handle.token, lambda p: runner._post_progress(entry, p),
                          runner.progress_interval)
        try:
            outcome = ("ok", self._fn(ctx))
        except Cancelled:
            outcome = ("cancelled", None)
        except BaseException as exc:  # delivered to on_error; never lost in a pool thread
            outcome = ("error", exc)
        finally:
            self._fn = None  # drop references (closures over big objects) before the GUI gets it
        runner._finished.emit((entry.handle.id, *outcome))


class TaskRunner(QObject):
    """Owns a thread pool and the tasks running in it. Create it on the GUI thread."""

    _finished = Signal(object)
    _progressed = Signal(object)

    def __init__(self, max_threads: int = 4, parent: QObject | None = None,
                 error_handler: Callable[[str, BaseException], None] | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.pool.setExpiryTimeout(5000)
        self.progress_interval = PROGRESS_INTERVAL
        self.error_handler = error_handler
        self._ids = itertools.count(1)
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        _live.add(self)

    # -- API ----------------------------------------------------------------------------------

    def run(self, fn: Callable[[TaskContext], Any], *, on_success: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[Progress], None] | None = None,
            on_cancelled: Callable[[], None] | None = None, name: str = "",
            token: CancelToken | None = None, owner: QObject | None = None) -> TaskHandle:
        """Start ``fn(ctx)`` in the pool. Without ``on_error`` errors go to ``error_handler``
        (or the log). ``token`` lets a caller share a ``CancelToken`` it already holds. ``owner``
        (default: the QObject of a bound-method ``on_success``/``on_error``) ties the task to a
        widget: when it is destroyed the task is cancelled and no callback runs."""
        if self._closed:
            raise RuntimeError("TaskRunner was shut down")
        handle = TaskHandle(next(self._ids), name or getattr(fn, "__name__", "task"),
                            token or CancelToken())
        if owner is None:
            for cb in (on_success, on_error, on_progress):
                obj = getattr(cb, "__self__", None)
                if isinstance(obj, QObject) and obj is not self:
                    owner = obj
                    break
        entry = _Entry(handle, on_success, on_error, on_progress, on_cancelled, owner)
        if owner is not None:
            owner.destroyed.connect(handle.cancel)
        with self._lock:
            self._entries[handle.id] = entry
        self.pool.start(_Job(self, entry, fn))
        return handle

    @property
    def active(self) -> list[TaskHandle]:
        with self._lock:
            return [e.handle for e in self._entries.values()]

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the pool is idle (tests, shutdown). Outcomes are delivered by the event loop."""
        return self.pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel everything, wait for the workers, and ignore outcomes from now on."""
        self._closed = True
        with self._lock:
            entries = list(self._entries.values())
        for e in entries:
            e.handle.cancel()
        self.pool.clear()  # tasks not started yet never start
        ok = self.pool.waitForDone(timeout_ms)
        if not ok:
            log.warning("background tasks still running after %d ms: %s", timeout_ms,
                        [e.handle for e in entries])
        with self._lock:
            for e in self._entries.values():
                e.handle.done = True
            self._entries.clear()
        return ok

    # -- worker side --------------------------------------------------------------------------

    def _post_progress(self, entry: _Entry, p: Progress) -> None:
        with self._lock:
            entry.latest = p
            if entry.queued:
                return  # the GUI has not drained the previous one yet: overwrite, don't stack
            entry.queued = True
        self._progressed.emit(entry.handle.id)

    # -- GUI side -----------------------------------------------------------------------------

    @Slot(object)
    def _on_progress(self, task_id: int) -> None:
        with self._lock:
            entry = self._entries.get(task_id)
            if entry is None:
                return
            p, entry.latest, entry.queued = entry.latest, None, False
        if self._closed or entry.on_progress is None or p is None or not _alive(entry.owner):
            return
        try:
            entry.on_progress(p)
        except Exception:
            log.exception("progress callback of %r failed", entry.handle)

    @Slot(object)
    def _on_finished(self, payload: tuple) -> None:
        task_id, kind, value = payload
        with self._lock:
            entry = self._entries.pop(task_id, None)
        if entry is None or self._closed:
            return
        entry.handle.done = True
        if not _alive(entry.owner):
            return
        try:
            if kind == "ok":
                if entry.on_success:
                    entry.on_success(value)
            elif kind == "cancelled":
                if entry.on_cancelled:
                    entry.on_cancelled()
            elif entry.on_error:
                entry.on_error(value)
            elif self.error_handler:
                self.error_handler(entry.handle.name, value)
            else:
                log.error("background task %s failed", entry.handle.name, exc_info=value)
        except Exception:
            log.exception("callback of %r failed", entry.handle)


def _alive(owner: QObject | None) -> bool:
    return owner is None or shiboken6.isValid(owner)


_live: "weakref.WeakSet[TaskRunner]" = weakref.WeakSet()


def live_runners() -> list[TaskRunner]:
    """Runners not yet garbage-collected (the test fixture checks none still has work)."""
    return list(_live)
