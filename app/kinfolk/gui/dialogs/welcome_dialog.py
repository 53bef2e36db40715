"""First run: choose photo folders, learn that everything stays local, see (and improve) the face model.

Shown when the library has no folders. Accepting returns the chosen folders; the caller adds them and
starts the scan. The dialog itself writes nothing to the library.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QGroupBox, QHBoxLayout,
                               QLabel, QVBoxLayout, QWidget)

from kinfolk.gui import resources
from kinfolk.gui.dialogs.models_panel import ModelsPanel
from kinfolk.gui.preferences import MachineSettings
from kinfolk.gui.tasks import TaskRunner
from kinfolk.gui.widgets.common import FolderListEditor, grow_to_fit, heading
from kinfolk.gui.dialogs.file_dialogs import choose_folder


class WelcomeDialog(QDialog):
    def __init__(self, runner: TaskRunner, library: Path, machine: MachineSettings,
                 models_dir: str | os.PathLike | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Kinfolk")
        self.setMinimumWidth(680)
        self.choose_folder: Callable[[], str | None] = self._ask_folder
        self._downloading = False

        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        top = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(resources.app_icon().pixmap(QSize(64, 64)))
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        intro = QVBoxLayout()
        intro.addWidget(heading("Welcome to Kinfolk", 1.6))
        text = QLabel("Kinfolk finds the faces in your photos, groups the ones that look like the "
                      "same person and lets you name them. Then you can find every photo of someone, "
                      "or of several people together.")
        text.setWordWrap(True)
        intro.addWidget(text)
        top.addLayout(intro, 1)
        lay.addLayout(top)

        privacy = QFrame()
        privacy.setFrameShape(QFrame.Shape.StyledPanel)
        play = QVBoxLayout(privacy)
        ptext = QLabel(
            "<b>Everything stays on this computer.</b> Your photos are never uploaded and never "
            "changed. What Kinfolk learns about faces is kept only in your library file:<br>"
            f"<code>{library}</code>")
        ptext.setWordWrap(True)
        ptext.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ptext.setAccessibleName("Privacy")
        play.addWidget(ptext)
        lay.addWidget(privacy)

        fbox = QGroupBox("1. Which folders hold your photos?")
        flay = QHBoxLayout(fbox)
        self.folder_editor = FolderListEditor("Chosen photo folders")
        self.folder_editor.choose_folder = lambda: self.choose_folder()
        self.folder_editor.changed.connect(self._update)
        self.folders = self.folder_editor.list
        self.folders.setMinimumHeight(80)
        self.remove_button = self.folder_editor.remove_button
        flay.addWidget(self.folder_editor, 1)
        lay.addWidget(fbox)

        mbox = QGroupBox("2. Face recognition")
        mlay = QVBoxLayout(mbox)
        self.models = ModelsPanel(runner, machine, models_dir)
        self.models.busy_changed.connect(self._set_downloading)
        # The model description arrives from a background task: grow to fit it.
        self.models.setup_changed.connect(lambda info: QTimer.singleShot(0, self, lambda: grow_to_fit(self)))
        mlay.addWidget(self.models)
        lay.addWidget(mbox)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start scanning",
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        self.buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        pictures = Path.home() / "Pictures"
        if pictures.is_dir():  # the usual place: offered, easy to remove
            self.add_folder(pictures)
        self._update()

    def chosen_folders(self) -> list[str]:
        return self.folder_editor.paths()

    def add_folder(self, path: str | os.PathLike) -> None:
        self.folder_editor.add(path)

    def add_folder_interactive(self) -> None:
        self.folder_editor.add_interactive()

    def _update(self) -> None:
        downloading = self._downloading
        self.start_button.setEnabled(self.folders.count() > 0 and not downloading)
        self.start_button.setToolTip("Wait for the download to finish, or cancel it"
                                     if downloading else "")

    def _set_downloading(self, busy: bool) -> None:
        self._downloading = busy
        self._update()

    def reject(self) -> None:
        self.models.cancel_download()
        super().reject()

    def _ask_folder(self) -> str | None:
        return choose_folder(self, "Add a photo folder", str(Path.home()))
