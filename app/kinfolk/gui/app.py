"""Entry point of the desktop app: ``kinfolk`` (no sub-command), ``kinfolk gui`` and ``kinfolk-gui``."""

from __future__ import annotations

import argparse
import logging
import sys

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from kinfolk import __version__
from kinfolk.core.library import resolve_library_path
from kinfolk.db.connection import LibraryError
from kinfolk.gui import resources

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Kinfolk's identity (QSettings location, icon, desktop file)."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setOrganizationName("Kinfolk")
    QCoreApplication.setOrganizationDomain("kinfolk.io")
    QCoreApplication.setApplicationName("Kinfolk")
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setApplicationDisplayName("Kinfolk")
    QGuiApplication.setDesktopFileName("kinfolk")  # resources/kinfolk.desktop (Wayland app id)
    app.setWindowIcon(resources.app_icon())
    return app


def missing_x11_libraries() -> list[str]:
    """Libraries Qt 6's X11 plugin needs that this Linux system lacks (Qt would abort the process
    with a cryptic message; we say which package to install instead). Empty elsewhere."""
    import ctypes.util
    import os

    if (not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM")
            or os.environ.get("WAYLAND_DISPLAY") or not os.environ.get("DISPLAY")):
        return []
    needed = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4",
              "xcb-keysyms": "libxcb-keysyms1", "xkbcommon-x11": "libxkbcommon-x11-0"}
    return [pkg for lib, pkg in needed.items() if ctypes.util.find_library(lib) is None]


def main(args: argparse.Namespace | list[str] | None = None) -> int:
    """Open the library given by ``args`` (``--library``/``$KINFOLK_LIBRARY``/default) in the window.

    ``args`` is the CLI's parsed namespace; the ``kinfolk-gui`` script calls this without arguments.
    """
    if not isinstance(args, argparse.Namespace):
        from kinfolk.cli.main import build_parser

        args = build_parser().parse_args(list(args or sys.argv[1:]))
        if args.models:
            import os

            os.environ["KINFOLK_MODELS"] = args.models
    missing = missing_x11_libraries()
    if missing:
        print("kinfolk: the desktop app needs X11 libraries this system lacks; install them with\n"
              f"  sudo apt install {' '.join(missing)}\n(the command-line tools work without them: "
              "kinfolk --help)", file=sys.stderr)
        return 1
    app = make_application()
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    path = resolve_library_path(args.library)
    try:
        session = Session(path, getattr(args, "models", None))
    except LibraryError as exc:
        QMessageBox.critical(None, "Kinfolk", f"Cannot open the library:\n{exc}")
        return 1
    window = MainWindow(session)
    window.show()
    QTimer.singleShot(0, window.maybe_show_welcome)
    return app.exec()
