"""Handing a photo to the rest of the desktop: open it in the default app, show it in its folder.

"Show in folder" selects the file where the platform's file manager can: Explorer
(``explorer /select,<path>``) and Finder (``open -R <path>``). Elsewhere (Linux desktops have no
common way to select a file) the folder that holds it is opened.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)


def open_file(path: str) -> bool:
    """Open ``path`` with the user's default application for it."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def reveal_command(path: str, platform: str = sys.platform) -> str | list[str] | None:
    """The command that shows ``path`` selected in the file manager, or None where there is none
    (then the parent folder is opened instead). On Windows a command line, because Explorer parses
    ``/select,"C:\\a b\\c.jpg"`` but not the quoting ``subprocess`` would apply to a list."""
    if platform.startswith("win"):
        return f'explorer /select,"{os.path.normpath(path)}"'
    if platform == "darwin":
        return ["open", "-R", path]
    return None


def reveal(path: str) -> bool:
    """Show ``path`` in the file manager (selected where possible). Never blocks on the child."""
    cmd = reveal_command(path)
    if cmd is not None:
        try:
            subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
            return True
        except OSError as exc:
            log.warning("could not show %s in its folder: %s", path, exc)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))
