"""The self-test's Qt check: the main window opens offscreen on a scratch library, then closes.

Kept apart from ``core/selftest.py`` so core never imports Qt. Runs offscreen (``QT_QPA_PLATFORM``
is set unless the caller chose a platform), so it works on a build machine with no display; window
geometry is saved to a scratch settings file, never the user's.
"""

from __future__ import annotations

import os
import time

from kinfolk.core.selftest import CheckFailed, Context


def check_qt(ctx: Context) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the first Qt application exists
    t0 = time.perf_counter()
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from kinfolk.gui.app import make_application
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    app = make_application()
    session = Session(ctx.workdir / "qt-selftest.sqlite", ctx.models_dir)
    settings = QSettings(str(ctx.workdir / "qt-selftest.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    try:
        window.show()
        deadline = time.monotonic() + 20
        while not (window.windowHandle() and window.windowHandle().isExposed()):
            if time.monotonic() > deadline:
                raise CheckFailed("the main window was not shown within 20 s")
            app.processEvents()
            time.sleep(0.01)
        shown = time.perf_counter() - t0
        if not window.sidebar.count():
            raise CheckFailed("the main window has no views")
    finally:
        window.close()  # stops the session's background tasks, closes the library
        QApplication.processEvents()
    return (f"main window shown {shown:.2f} s after Qt started (PySide6 {pyside_version}, "
            f"platform {app.platformName()})")
