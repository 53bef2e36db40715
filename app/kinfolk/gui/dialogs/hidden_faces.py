"""Edit → Show Hidden Strangers…: the faces of the groups hidden with "Not someone I know", to
bring back some of them (a friend hidden with the strangers) or all of them.

Bringing faces back is one undoable edit; the window then regroups them (``MainWindow.organize``).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kinfolk.core.people import edits
from kinfolk.gui.widgets.face_grid import FaceGridModel, FaceGridView
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import fmt_count


class HiddenFacesDialog(QDialog):
    def __init__(self, session: Session, regroup: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.regroup = regroup
        self.setWindowTitle("Hidden strangers")
        self.resize(720, 520)
        lay = QVBoxLayout(self)
        self.intro = QLabel(wordWrap=True)
        lay.addWidget(self.intro)
        self.model = FaceGridModel(None, None, store=session.thumbnails(80), parent=self)
        self.grid = FaceGridView(icon_size=80)
        self.grid.setAccessibleName("Hidden faces")
        self.grid.setModel(self.model)
        self.grid.selectionModel().selectionChanged.connect(lambda *a: self._update())
        self.grid.face_activated.connect(lambda fid: session.show_face(fid, self.model.face_ids))
        lay.addWidget(self.grid, 1)
        row = QHBoxLayout()
        row.addStretch()
        self.some_button = QPushButton("Bring back the selected faces")
        self.some_button.clicked.connect(self.bring_back_selected)
        self.all_button = QPushButton("Bring back all")
        self.all_button.clicked.connect(self.bring_back_all)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for b in (self.some_button, self.all_button, close):
            b.setAutoDefault(False)
            row.addWidget(b)
        lay.addLayout(row)
        session.people_changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        if self.session.conn is None:
            return
        ids = edits.hidden_face_ids(self.session.conn)
        self.model.set_face_ids(ids)
        self.intro.setText(
            f"{fmt_count(len(ids), 'face')} you hid with “Not someone I know”. Select the ones of "
            "someone you know and bring them back: they are grouped again." if ids else
            "No hidden faces.")
        self._update()

    def _update(self) -> None:
        self.some_button.setEnabled(bool(self.grid.selected_face_ids()))
        self.all_button.setEnabled(bool(self.model.face_ids))

    def _bring_back(self, ids: list[int]) -> bool:
        if not ids:
            return False
        text = f"Show {fmt_count(len(ids), 'hidden face')}"
        if not self.session.try_edit(text, lambda c: edits.unhide_faces(c, ids), lambda m: None):
            return False
        self.regroup()
        return True

    def bring_back_selected(self) -> bool:
        return self._bring_back(self.grid.selected_face_ids())

    def bring_back_all(self) -> bool:
        return self._bring_back(list(self.model.face_ids))
