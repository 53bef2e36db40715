"""Undo/redo of people edits (naming, merging, moving, rejecting, hiding) on a ``QUndoStack``.

``core.people`` operations return a ``Change`` holding the before-images of the rows they touched;
undo restores them, redo runs the operation again (as ``core.people`` prescribes). Operations are small
SQLite writes, run on the GUI thread's connection. An operation may return a list of changes (e.g.
naming several groups at once); they are undone in reverse order as one step. Forgetting a person is deliberately not undoable.

What matching did because of an edit (faces recognized automatically once a face was named) is part
of that edit: ``attach_consequences`` appends it to the step that was on top of the stack when the
matching started, so one Undo takes back the edit and everything that followed from it.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from kinfolk.core.people.edits import Change

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
        self.consequences: list[Change] = []  # what matching did after this edit, oldest first

    @property
    def change(self) -> "Change | list[Change]":
        """What the command did (read by sidecar sync to know which photos it touched)."""
        return self._change

    def redo(self) -> None:
        if self._first:  # already done when pushed
            self._first = False
            return
        self._change = self._op(self._conn())
        self.consequences = []  # undone with the step; matching re-runs after the redo
        self._changed()

    def undo(self) -> None:
        changes = self._change if isinstance(self._change, list) else [self._change]
        for change in reversed(changes + self.consequences):  # last done, first undone
            change.undo(self._conn())
        self.consequences = []
        self._changed()


def top_command(stack: QUndoStack) -> ChangeCommand | None:
    """The step Undo would take back now (None on an empty or fully undone stack)."""
    cmd = stack.command(stack.index() - 1) if stack.index() > 0 else None
    return cmd if isinstance(cmd, ChangeCommand) else None


def attach_consequences(stack: QUndoStack, anchor: ChangeCommand | None, change: Change,
                        conn: sqlite3.Connection) -> bool:
    """Make ``change`` (done by matching that started while ``anchor`` was the top step) part of
    ``anchor``. If ``anchor`` was undone meanwhile, the matching ran on a state the user took back:
    its automatic assignments are reverted at once (the next matching redoes what still holds).
    True if the change was attached or reverted; False if there is no step to tie it to."""
    if not change.faces or anchor is None:
        return False
    live = [stack.command(i) for i in range(stack.index())]
    if any(c is anchor for c in live):
        anchor.consequences.append(change)
    else:
        change.undo(conn)
    return True


def perform(stack: QUndoStack, text: str, conn: Callable[[], sqlite3.Connection], op: Operation,
            changed: Callable[[], None]) -> "Change | list[Change]":
    """Run ``op`` now and put it on the undo stack. Raises what ``op`` raises (nothing is pushed)."""
    change = op(conn())
    stack.push(ChangeCommand(text, conn, op, change, changed))
    changed()
    return change
