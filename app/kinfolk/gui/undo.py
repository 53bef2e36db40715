"""Undo/redo of people edits (naming, merging, moving, rejecting, hiding) on a ``QUndoStack``.

``core.people`` operations return a ``Change`` holding the before-images of the rows they touched;
undo restores them, redo runs the operation again (as ``core.people`` prescribes). Operations are small
SQLite writes, run on the GUI thread's connection. An operation may return a list of changes (e.g.
naming several groups at once); they are undone in reverse order as one step. Forgetting a person is deliberately not undoable.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.people import Change

Operation = Callable[[sqlite3.Connection], "Change | list[Change]"]


class ChangeCommand(QUndoCommand):
    def __init__(self, text: str, conn: Callable[[], sqlite3.Connection], op: Operation,
                 change: Change, changed: Callable[[], None]) -> None:
        super().__init__(text)
        self._conn = conn
        self._op = op
        self._change = change
        self._changed = changed
        self._first = True

    @property
    def change(self) -> "Change | list[Change]":
        """What the command did (read by sidecar sync to know which photos it touched)."""
        return self._change

    def redo(self) -> None:
        if self._first:  # already done when pushed
            self._first = False
            return
        self._change = self._op(self._conn())
        self._changed()

    def undo(self) -> None:
        changes = self._change if isinstance(self._change, list) else [self._change]
        for change in reversed(changes):  # several operations in one step: last one first
            change.undo(self._conn())
        self._changed()


def perform(stack: QUndoStack, text: str, conn: Callable[[], sqlite3.Connection], op: Operation,
            changed: Callable[[], None]) -> "Change | list[Change]":
    """Run ``op`` now and put it on the undo stack. Raises what ``op`` raises (nothing is pushed)."""
    change = op(conn())
    stack.push(ChangeCommand(text, conn, op, change, changed))
    changed()
    return change
