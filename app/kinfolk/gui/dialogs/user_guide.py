"""Help → User Guide: ``docs/user-guide.md`` with its screenshots, in a window of its own.

The guide is read from the source tree (``<repo>/docs``) or, in an installed or frozen app, from a
``docs`` folder shipped next to the package (``kinfolk/docs``); if neither is there the window says
where the guide was looked for. Links to other pages open in the same window; web links in the
user's browser (nothing is fetched by the guide itself).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout, QWidget

_HERE = Path(__file__).resolve()
CANDIDATES = (_HERE.parents[4] / "docs" / "user-guide.md", _HERE.parents[2] / "docs" / "user-guide.md")


def find_user_guide() -> Path | None:
    return next((p for p in CANDIDATES if p.is_file()), None)


class UserGuide(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kinfolk User Guide")
        self.resize(900, 720)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._link)
        lay.addWidget(self.browser)
        self.path = find_user_guide()
        if self.path is None:
            self.browser.setPlainText("The user guide was not found. It is looked for in:\n"
                                      + "\n".join(str(p) for p in CANDIDATES))
        else:
            self.browser.setSource(QUrl.fromLocalFile(str(self.path)))

    def _link(self, url: QUrl) -> None:
        if url.isLocalFile() or url.isRelative():
            if url.hasFragment() and (url.isRelative() and not url.path()):
                self.browser.scrollToAnchor(url.fragment())
                return
            self.browser.setSource(self.browser.source().resolved(url))
        else:
            QDesktopServices.openUrl(url)
