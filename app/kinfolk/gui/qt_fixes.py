"""Work-arounds for bugs in the Qt bindings, applied once when ``kinfolk.gui`` is imported.

PySide6 6.12.0 (its abi3 wheels) on CPython 3.10/3.11 returns ``None`` from every void method
(``QTimer.start``, ``QWidget.setText``, ``processEvents``…) and ``True`` from ``Signal.emit`` without
taking a reference to them. Each such call lowers the singleton's reference count by one; CPython
aborts ("none_dealloc"/"bool_dealloc: deallocating …") when it reaches zero — after a few thousand
calls in a fresh process (measured here: None starts at 3,688, True at 591), i.e. seconds into a scan.
From CPython 3.12 on these objects are immortal (PEP 683) and the bug is harmless; PySide6 6.12.0 on
3.12 was measured clean.

Where a probe shows the bug, this module gives ``None``, ``True`` and ``False`` a reference count no
program can exhaust, which is what CPython 3.12 does for them. Extra references to these singletons
are harmless; a missing one is fatal. The real fix is a fixed PySide6 or Python ≥ 3.12.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_BALLAST = 1 << 40  # references added to each singleton (2**63 is the limit; 2**40 calls never happen)
_applied: bool | None = None


def leaks() -> dict[str, int]:
    """References each singleton lost over 64 void calls and 64 signal emits (0 = healthy)."""
    from PySide6.QtCore import QObject, QTimer, Signal

    class _Probe(QObject):
        ping = Signal()

    timer = QTimer()
    probe = _Probe()
    probe.ping.connect(lambda: None)
    before = {"None": sys.getrefcount(None), "True": sys.getrefcount(True)}
    for _ in range(64):
        timer.stop()
        probe.ping.emit()
    return {"None": before["None"] - sys.getrefcount(None),
            "True": before["True"] - sys.getrefcount(True)}


def _add_references(obj: object, n: int) -> None:
    # ob_refcnt is the first field of every object in release builds of CPython < 3.12.
    ref = ctypes.c_ssize_t.from_address(id(obj))
    ref.value += n


def install() -> bool:
    """Apply the work-around if this interpreter + PySide6 need it. Idempotent; returns whether applied."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):  # immortal / debug build
        return False
    lost = leaks()
    if max(lost.values()) < 32:
        return False
    for obj in (None, True, False):
        _add_references(obj, _BALLAST)
    _applied = True
    import PySide6

    log.info("PySide6 %s on Python %s drops references to None/True (lost %s in the probe); "
             "made them immortal as Python 3.12 does", PySide6.__version__,
             sys.version.split()[0], lost)
    return True
