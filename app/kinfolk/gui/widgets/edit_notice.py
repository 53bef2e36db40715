"""The line in the status bar that says what an edit just did, with an Undo button beside it.

Every people edit (naming, merging, Not, Move, Hide…) reports itself through ``Session.edited``; the
notice shows the words for a while ("Name group Anna. 1 face left out: …") so no change is silent,
and Undo is one click (or Ctrl+Z) away.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

SHOW_MS = 15000


class EditNotice(QWidget):
    def __init__(self, undo: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setAccessibleName("What was just done")
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setAutoDefault(False)
        self.undo_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # never steals the name box's focus
        self.undo_button.clicked.connect(lambda: (undo(), self.hide_notice()))
        lay.addWidget(self.label, 1)
        lay.addWidget(self.undo_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SHOW_MS)
        self._timer.timeout.connect(self.hide_notice)
        self.hide_notice()

    def show_notice(self, text: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(text)
        self.setVisible(True)
        self._timer.start()

    def hide_notice(self) -> None:
        self._timer.stop()
        self.label.setText("")
        self.setVisible(False)
