"""Small widgets shared by several views: empty-state panels, headings, a rate limiter for refreshes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCompleter, QDialog, QDialogButtonBox, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from kinfolk.gui import resources


class EmptyState(QWidget):
    """A centred icon, title, explanation and optional button: what a view shows when it has nothing
    yet, saying what will appear there and how to get it."""

    action = Signal()

    def __init__(self, icon: str, title: str, text: str, button: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        self.icon_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        color = self.palette().color(self.foregroundRole())
        color.setAlpha(110)
        self.icon_label.setPixmap(resources.pixmap(icon, 56, color))
        lay.addWidget(self.icon_label)
        self.title = QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter)
        f = QFont(self.title.font())
        f.setPointSizeF(f.pointSizeF() * 1.35)
        f.setBold(True)
        self.title.setFont(f)
        lay.addWidget(self.title)
        self.text = QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.text.setMaximumWidth(460)
        self.text.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.text)
        row.addStretch()
        lay.addLayout(row)
        self.button = None
        if button:
            self.button = QPushButton(button)
            self.button.clicked.connect(self.action)
            brow = QHBoxLayout()
            brow.addStretch()
            brow.addWidget(self.button)
            brow.addStretch()
            lay.addSpacing(8)
            lay.addLayout(brow)
        lay.addStretch(3)
        self.setAccessibleName(title)

    def set_text(self, title: str, text: str) -> None:
        self.title.setText(title)
        self.text.setText(text)


class _UndoPassThrough(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == event.Type.ShortcutOverride and isinstance(obj, QLineEdit):
            if ((event.matches(QKeySequence.StandardKey.Undo) and not obj.isUndoAvailable())
                    or (event.matches(QKeySequence.StandardKey.Redo) and not obj.isRedoAvailable())):
                event.ignore()
                return True  # not the line edit's: the window's Undo / Redo takes it
        return False


def pass_undo_to_window(edit: QLineEdit) -> None:
    """Ctrl+Z in ``edit`` undoes typing while there is typing to undo, else the window's last edit
    (a name box that always has the focus must not swallow Undo). Clear such a box with
    ``setText("")``, which forgets its typing history; ``clear()`` would make it undoable."""
    f = _UndoPassThrough(edit)
    edit.installEventFilter(f)


def grow_to_fit(window: QWidget) -> None:
    """Make a dialog tall enough for its wrapped text at its current width (``adjustSize`` caps
    windows at 2/3 of the screen and ignores text that arrived after the dialog was shown)."""
    lay = window.layout()
    if lay is None:
        return
    need = (lay.totalHeightForWidth(window.width()) if lay.hasHeightForWidth()
            else lay.totalSizeHint().height())
    need = max(need, window.minimumSizeHint().height(), lay.totalMinimumSize().height())
    screen = window.screen().availableGeometry() if window.screen() else None
    limit = screen.height() - 60 if screen else need
    if need > window.height():
        window.resize(window.width(), min(need, limit))


def heading(text: str, scale: float = 1.5, elide: bool = False) -> QLabel:
    label = ElidedLabel(text) if elide else QLabel(text)
    f = QFont(label.font())
    f.setPointSizeF(f.pointSizeF() * scale)
    f.setBold(True)
    label.setFont(f)
    label.setAccessibleName(text)
    return label


class ElidedLabel(QLabel):
    """A one-line label that shrinks with its layout and elides ("Angelina Jo…") instead of pushing
    the window wider; the full text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()
        self.updateGeometry()  # the size hint follows the whole text, not the elided one

    def text(self) -> str:  # the whole text (what is painted may be elided)
        return self._full

    def sizeHint(self):  # noqa: N802 - Qt override
        h = super().sizeHint()
        h.setWidth(self.fontMetrics().horizontalAdvance(self._full) + 4)
        return h

    def minimumSizeHint(self):  # noqa: N802 - Qt override: may shrink to a few letters
        h = super().minimumSizeHint()
        h.setWidth(min(h.width(), self.fontMetrics().horizontalAdvance("Mmm…") + 4))
        return h

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                      max(10, self.width())))


class Throttle(QObject):
    """Calls ``fn`` at most once per ``interval`` seconds however often ``trigger()`` is called;
    the last trigger in a burst is never lost (a trailing call is scheduled)."""

    def __init__(self, fn: Callable[[], None], interval: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self.interval = interval
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def trigger(self) -> None:
        wait = self.interval - (time.monotonic() - self._last)
        if wait <= 0 and not self._timer.isActive():
            self._fire()
        elif not self._timer.isActive():
            self._timer.start(max(0, int(wait * 1000)))

    def now(self) -> None:
        self._timer.stop()
        self._fire()

    def _fire(self) -> None:
        self._last = time.monotonic()
        self.fn()


def fmt_count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def fmt_duration(seconds: float | None) -> str:
    """'about 3 min', 'about 1 h 20 min', 'less than a minute'."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    h, m = divmod(minutes, 60)
    return f"about {h} h {m} min" if m else f"about {h} h"


def name_completer(names: list[str], parent: QObject | None = None) -> QCompleter:
    """Case-insensitive completion of existing people's names (matching anywhere in the name)."""
    c = QCompleter(names, parent)
    c.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    c.setFilterMode(Qt.MatchFlag.MatchContains)
    return c


class NameDialog(QDialog):
    """Ask for a person's name, completing existing names; ``existing_only`` refuses new names."""

    def __init__(self, title: str, prompt: str, names: list[str], existing_only: bool = False,
                 text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.names = names
        self.existing_only = existing_only
        lay = QVBoxLayout(self)
        label = QLabel(prompt)
        label.setWordWrap(True)
        lay.addWidget(label)
        self.edit = QLineEdit(text)
        self.edit.selectAll()  # a prefilled name (Rename…) is replaced by typing, or corrected
        self.edit.setAccessibleName(prompt)
        self.edit.setPlaceholderText("Type a name")
        self.edit.setCompleter(name_completer(names, self))
        lay.addWidget(self.edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.edit.textChanged.connect(self._update)
        self._update()
        self.setMinimumWidth(360)

    def name(self) -> str:
        typed = " ".join(self.edit.text().split())
        match = next((n for n in self.names if n.casefold() == typed.casefold()), None)
        return match or typed

    def _update(self) -> None:
        name = self.name()
        ok = bool(name) and (not self.existing_only or name in self.names)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


def ask_name(parent: QWidget, title: str, prompt: str, names: list[str], existing_only: bool = False,
             text: str = "") -> str | None:
    dlg = NameDialog(title, prompt, names, existing_only, text, parent)
    return dlg.name() if dlg.exec() == QDialog.DialogCode.Accepted else None


class FolderListEditor(QWidget):
    """A list of photo folders with "Add folder…" and "Remove" (welcome and settings dialogs).

    ``choose_folder()`` asks for a folder (a dialog; tests inject their own); ``confirm_remove(path)``
    may refuse a removal. ``changed`` fires after every addition or removal.
    """

    changed = Signal()

    def __init__(self, accessible_name: str, folders=(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choose_folder: Callable[[], str | None] = lambda: None
        self.confirm_remove: Callable[[str], bool] = lambda path: True
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setAccessibleName(accessible_name)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        lay.addWidget(self.list, 1)
        col = QVBoxLayout()
        self.add_button = QPushButton(resources.icon("folder-add"), "Add folder…")
        self.add_button.setAccessibleName("Add folder")
        self.add_button.clicked.connect(self.add_interactive)
        self.remove_button = QPushButton(resources.icon("remove"), "Remove")
        self.remove_button.setAccessibleName("Remove folder")
        self.remove_button.clicked.connect(self.remove_selected)
        col.addWidget(self.add_button)
        col.addWidget(self.remove_button)
        col.addStretch()
        lay.addLayout(col)
        for f in folders:
            self._add_item(str(f))
        self._update()

    def paths(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def add(self, path) -> bool:
        """Add an existing folder (absolute, resolved) unless it is listed already."""
        path = str(Path(path).expanduser().resolve())
        if path in self.paths() or not os.path.isdir(path):
            return False
        self._add_item(path)
        self._update()
        self.changed.emit()
        return True

    def add_interactive(self) -> None:
        path = self.choose_folder()
        if path:
            self.add(path)

    def remove_selected(self) -> None:
        for it in self.list.selectedItems():
            if self.confirm_remove(it.data(Qt.ItemDataRole.UserRole)):
                self.list.takeItem(self.list.row(it))
        self._update()
        self.changed.emit()

    def _add_item(self, path: str) -> None:
        it = QListWidgetItem(resources.icon("folder"), path)
        it.setData(Qt.ItemDataRole.UserRole, path)
        self.list.addItem(it)

    def _update(self) -> None:
        self.remove_button.setEnabled(self.list.count() > 0)
