"""The app survives any number of Qt calls: PySide6 6.12.0 on CPython < 3.12 drops a reference to
``None`` per void call and to ``True`` per signal emit, which aborted the process after a few
thousand calls (see ``kinfolk.gui.qt_fixes``)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal

import kinfolk.gui  # noqa: F401  (installs the work-around)


class _Emitter(QObject):
    value = Signal(int)


def test_void_calls_and_emits_do_not_exhaust_singletons(qapp):
    e = _Emitter()
    got = []
    e.value.connect(got.append)
    timer = QTimer()
    start = {"None": sys.getrefcount(None), "True": sys.getrefcount(True)}
    n = 20_000  # several times what None and True start with in a fresh interpreter
    for i in range(n):
        e.value.emit(i)
        timer.stop()
    assert len(got) == n
    # Still alive, and (on an affected build) far from zero.
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000, start
