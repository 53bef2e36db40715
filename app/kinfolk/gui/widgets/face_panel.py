"""The photo viewer's side panel for the selected face: its crop and name, the actions (name, yes,
not, move, not a face) and "Why is this face here?"."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget

from kinfolk.gui import resources


CROP_SIZE = 168  # pixels of the selected face's crop


class FacePanel(QWidget):
    """What can be done with the selected face; the viewer wires the buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(240)
        self.setMaximumWidth(360)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        self.crop = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.crop.setFixedSize(CROP_SIZE, CROP_SIZE)
        self.crop.setAccessibleName("The selected face")
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.crop)
        row.addStretch()
        lay.addLayout(row)
        self.name_label = QLabel()
        f = QFont(self.name_label.font())
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.name_label.setFont(f)
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.name_label.setWordWrap(True)
        lay.addWidget(self.name_label)
        self.state_label = QLabel(wordWrap=True)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.state_label)
        lay.addSpacing(6)
        name_row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Who is this?")
        self.name_edit.setAccessibleName("Name for the selected face")
        self.name_edit.setClearButtonEnabled(True)
        name_row.addWidget(self.name_edit, 1)
        self.name_button = QPushButton("Name")
        name_row.addWidget(self.name_button)
        lay.addLayout(name_row)
        self.refusal = QLabel(wordWrap=True)  # why the typed name was not given (stays until read)
        self.refusal.setAccessibleName("Why the name was not given")
        self.refusal.setStyleSheet("font-weight: bold;")
        self.refusal.setVisible(False)
        lay.addWidget(self.refusal)
        self.yes_button = QPushButton("Yes")
        self.not_button = QPushButton("Not")
        self.move_button = QPushButton("Move to…")
        self.move_button.setToolTip("This face is someone else you already named")
        self.not_face_button = QPushButton("Not a face")
        self.not_face_button.setToolTip("The detector was wrong (a dog, a pattern): remove this box "
                                        "for good, also after a rescan (Ctrl+Delete)")
        self.why_button = QPushButton(resources.icon("suggestions"), "Why is this face here?")
        self.why_button.setCheckable(True)
        for b in (self.yes_button, self.not_button, self.move_button, self.not_face_button,
                  self.why_button):
            lay.addWidget(b)
        self.why_box = QWidget()
        wlay = QVBoxLayout(self.why_box)
        wlay.setContentsMargins(0, 4, 0, 0)
        self.why_text = QLabel(wordWrap=True)
        self.why_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why_text.setAccessibleName("Why this face is here")
        wlay.addWidget(self.why_text)
        self.neighbours = QListWidget()
        self.neighbours.setViewMode(QListWidget.ViewMode.IconMode)
        self.neighbours.setMovement(QListWidget.Movement.Static)
        self.neighbours.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.neighbours.setIconSize(QSize(64, 64))
        self.neighbours.setGridSize(QSize(88, 64 + 2 * self.fontMetrics().height() + 8))
        self.neighbours.setWordWrap(True)
        self.neighbours.setAccessibleName("The closest faces you confirmed")
        self.neighbours.setToolTip("Double-click a face to see its photo")
        self.neighbours.setFixedHeight(self.neighbours.gridSize().height() * 2
                                       + 2 * self.neighbours.frameWidth() + 4)
        wlay.addWidget(self.neighbours)
        lay.addWidget(self.why_box)
        self.why_box.setVisible(False)
        self.why_button.toggled.connect(self.why_box.setVisible)
        self.empty = QLabel(wordWrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.empty)
        self.review_hint = QLabel("Faces one by one: type a name and press Enter. Enter alone skips "
                                  "a face; Ctrl+Delete: not a face; ← / → go back and forth; Esc "
                                  "stops.", wordWrap=True)
        self.review_hint.setAccessibleName("How the review works")
        self.review_hint.setVisible(False)
        lay.addWidget(self.review_hint)
        lay.addStretch()
        self._face_widgets = [self.crop, self.name_label, self.state_label, self.name_edit,
                              self.name_button, self.yes_button, self.not_button, self.move_button,
                              self.not_face_button, self.why_button]

    def show_refusal(self, text: str) -> None:
        """Say under the name box why a name was not given ("" hides it)."""
        self.refusal.setText(text)
        self.refusal.setVisible(bool(text))

    def show_nothing(self, text: str) -> None:
        for w in self._face_widgets:
            w.setVisible(False)
        self.show_refusal("")
        self.why_box.setVisible(False)
        self.empty.setText(text)
        self.empty.setVisible(True)

    def show_face(self) -> None:
        for w in self._face_widgets:
            w.setVisible(True)
        self.empty.setVisible(False)
        self.why_box.setVisible(self.why_button.isChecked())
