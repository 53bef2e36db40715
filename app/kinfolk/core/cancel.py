"""Cooperative cancellation shared by long-running core jobs (scan, clustering, evaluation), and the
callback types those jobs take."""

from __future__ import annotations

import threading
from typing import Callable

#: ``progress(done, total)``, called as a job advances.
ProgressFn = Callable[[int, int], None]
#: ``cancel()`` → True once the job should stop (a ``CancelToken`` is one).
CancelFn = Callable[[], bool]


class Cancelled(Exception):
    """Raised inside a job when its caller asked it to stop; the job leaves no partial writes."""


class CancelToken:
    """A cancel flag plus a pause gate, checked by workers between items.

    Thread-safe. ``check()`` raises ``Cancelled`` once cancelled and blocks while paused, so a job
    only needs one call per item to honour both.
    """

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # wake paused workers so they can see the cancel

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def __call__(self) -> bool:
        """True once cancelled (usable where a ``cancel() -> bool`` callable is expected)."""
        return self._cancelled.is_set()

    def check(self) -> None:
        self._running.wait()
        if self._cancelled.is_set():
            raise Cancelled()


def raise_if_cancelled(cancel: CancelFn | None) -> None:
    """Raise ``Cancelled`` if ``cancel`` (e.g. a ``CancelToken``) says so; ``None`` never cancels."""
    if cancel is not None and cancel():
        raise Cancelled()
