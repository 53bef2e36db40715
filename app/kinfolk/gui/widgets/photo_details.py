"""The photo viewer's line of details (faces, names, date, path), fitted to its width.

A path is often longer than the window is wide; cut at its end it loses the file name, so the
path is elided in the middle ("/home/anna/Pictures/…/2020/IMG_0042.jpg") and the other details stay
whole while they fit (then cut at their end, the file name kept). The full path is in the tooltip;
elision is redone on every resize.
"""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

SEP = " · "


class PhotoDetails(QLabel):
    """A one-line label showing ``details`` then ``path``; the path gives way first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Photo details")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._details = ""
        self._path = ""

    def set_details(self, details: str, path: str = "") -> None:
        """Show ``details`` (kept whole while they fit) and ``path`` (elided in the middle)."""
        self._details, self._path = details, path
        self.setToolTip(path)
        self.setAccessibleDescription(self.full_text())
        self._fit()

    def full_text(self) -> str:
        return SEP.join(p for p in (self._details, self._path) if p)

    def _fit(self) -> None:
        fm = self.fontMetrics()
        room = max(0, self.contentsRect().width())
        full = self.full_text()
        if not self._path or fm.horizontalAdvance(full) <= room:
            super().setText(fm.elidedText(full, Qt.TextElideMode.ElideRight, room))
            return
        head = self._details + SEP if self._details else ""
        name = "…/" + PurePath(self._path).name
        # The path gives way first, down to its file name; then the details are cut at their end.
        path_room = min(room, max(room - fm.horizontalAdvance(head), fm.horizontalAdvance(name)))
        mode = (Qt.TextElideMode.ElideMiddle if path_room >= 2 * fm.horizontalAdvance(name)
                else Qt.TextElideMode.ElideLeft)  # too little room for both ends: keep the name
        tail = fm.elidedText(self._path, mode, path_room)
        if head:
            head = fm.elidedText(self._details, Qt.TextElideMode.ElideRight,
                                 room - fm.horizontalAdvance(SEP + tail)) + SEP
        super().setText(head + tail)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()
