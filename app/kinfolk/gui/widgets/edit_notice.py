"""The line in the status bar that says what an edit just did, with an Undo button beside it.

Every people edit (naming, merging, Not, Move, Hide…) reports itself through ``Session.edited``; the
notice shows the words for a while ("Name group Anna. 1 face left out: …") so no change is silent,
and Undo is one click (or Ctrl+Z) away. It follows the undo stack: after an undo (the button,
Ctrl+Z, Edit ▸ Undo) it says what was undone and offers Redo, after a redo what was redone — never
the words of an edit that is no longer there beside a button that would undo a different one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStatusBar, QWidget

SHOW_MS = 15000


class EditNotice(QWidget):
    def __init__(self, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = stack
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setAccessibleName("What was just done")
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setAutoDefault(False)
        self.undo_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # never steals the name box's focus
        self.undo_button.clicked.connect(self._clicked)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.undo_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SHOW_MS)
        self._timer.timeout.connect(self.hide_notice)
        self.hide_notice()
        self._index = stack.index()
        self._next: QUndoCommand | None = None  # what a redo would do now
        stack.indexChanged.connect(self._index_changed)

    def show_notice(self, text: str, button: str = "Undo") -> None:
        bar = self.parentWidget()
        if isinstance(bar, QStatusBar):
            # Qt hides this widget only when a temporary message *starts*; shown under one, both
            # texts were drawn on top of each other. The newest news wins.
            bar.clearMessage()
        self.label.setText(text)
        self.label.setToolTip(text)
        self.undo_button.setText(button)
        self.setVisible(True)
        self._timer.start()

    def _clicked(self) -> None:
        if self.undo_button.text() == "Redo":
            self.stack.redo()
        else:
            self.stack.undo()

    def _index_changed(self, index: int) -> None:
        before, redone = self._index, self._next
        self._index = index
        try:
            self._next = self.stack.command(index) if index < self.stack.count() else None
        except RuntimeError:  # the stack is being destroyed (the window closes): nothing to say
            return
        if index < before and self.stack.count():
            self.show_notice(f"Undone: {self.stack.text(index)}.", "Redo")
        elif index == before + 1 and redone is not None and self.stack.command(index - 1) is redone:
            self.show_notice(f"Redone: {self.stack.text(index - 1)}.")
        elif index < before:  # the stack was cleared
            self.hide_notice()
        # else a new edit: Session.edited brings its own words right after

    def hide_notice(self) -> None:
        self._timer.stop()
        self.label.setText("")
        self.setVisible(False)
