"""Settings: photo folders, face model and hardware, minimum face size, matching thresholds.

The dialog edits copies; ``result_settings()`` tells the caller what changed after OK. Where each
setting is stored is decided in ``preferences`` (machine settings in QSettings, the rest in the
library).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QSpinBox, QTabWidget, QToolButton, QVBoxLayout, QWidget)

from kinfolk.core.people.thresholds import Thresholds, default_thresholds
from kinfolk.gui import preferences as prefs
from kinfolk.gui.dialogs.model_setup import SetupInfo, plain_quality, plain_words
from kinfolk.gui.dialogs.models_panel import ModelsPanel
from kinfolk.gui.preferences import MachineSettings
from kinfolk.gui.tasks import TaskRunner
from kinfolk.gui.widgets.common import FolderListEditor, grow_to_fit
from kinfolk.gui.dialogs.file_dialogs import choose_folder

PROVIDER_LABELS = {
    "auto": "Automatic (fastest available)",
    "cpu": "CPU",
    "cuda": "NVIDIA GPU (CUDA)",
    "directml": "GPU (DirectML, Windows)",
    "coreml": "Apple GPU / Neural Engine (CoreML)",
}
PROVIDER_ORT = {"cuda": "CUDAExecutionProvider", "directml": "DmlExecutionProvider",
                "coreml": "CoreMLExecutionProvider", "cpu": "CPUExecutionProvider"}


@dataclass
class SettingsResult:
    folders_added: list[str]
    folders_removed: list[str]
    machine: MachineSettings
    machine_changed: bool
    min_face_size: int
    thresholds: Thresholds | None  # for ``model_id``; None if not shown
    model_id: str | None


class SettingsDialog(QDialog):
    def __init__(self, runner: TaskRunner, folders: list[str], machine: MachineSettings,
                 min_face_size: int, model_id: str | None,
                 thresholds_of: Callable[[str], Thresholds], models_dir: str | os.PathLike | None = None, parent: QWidget | None = None,
                 calibrate: Callable[[str], object] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kinfolk Settings")
        self.setMinimumWidth(680)
        self._folders0 = list(folders)
        self._machine0 = machine
        self.model_id = model_id
        self.thresholds_of = thresholds_of
        self.runner = runner
        self.calibrate = calibrate  # model id -> core.calibration.Calibration (runs off the GUI thread)
        self.choose_folder: Callable[[], str | None] = self._ask_folder
        self.confirm_remove: Callable[[str], bool] = self._ask_remove

        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs)
        # A tab's wrapped text is measured only once the tab is shown: grow to fit it then.
        self.tabs.currentChanged.connect(lambda _i: QTimer.singleShot(0, self, lambda: grow_to_fit(self)))

        # -- folders
        page = QWidget()
        play = QHBoxLayout(page)
        self.folder_editor = FolderListEditor("Photo folders", folders)
        self.folder_editor.choose_folder = lambda: self.choose_folder()
        # Removing a folder already in the library forgets its photos: ask first.
        self.folder_editor.confirm_remove = (
            lambda path: path not in self._folders0 or self.confirm_remove(path))
        self.folders = self.folder_editor.list
        self.remove_button = self.folder_editor.remove_button
        play.addWidget(self.folder_editor, 1)
        self.tabs.addTab(page, "Folders")

        # -- recognition
        page = QWidget()
        rlay = QVBoxLayout(page)
        form = QFormLayout()
        self.pack_combo = QComboBox()
        self.pack_combo.setAccessibleName("Face model pack")
        self.pack_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.pack_combo.setMinimumContentsLength(30)
        self.provider_combo = QComboBox()
        self.provider_combo.setAccessibleName("Execution provider")
        for key in prefs.PROVIDERS:
            self.provider_combo.addItem(PROVIDER_LABELS[key], key)
        self.provider_combo.setCurrentIndex(max(0, self.provider_combo.findData(machine.provider)))
        form.addRow("Face model:", self.pack_combo)
        form.addRow("Hardware:", self.provider_combo)
        rlay.addLayout(form)
        note = QLabel("Changing the model re-reads every photo in the background: faces found with "
                      "one model are never compared with another's. Names you gave are kept.")
        note.setWordWrap(True)
        rlay.addWidget(note)
        mbox = QGroupBox("In use")
        mlay = QVBoxLayout(mbox)
        self.models = ModelsPanel(runner, machine, models_dir)
        self.models.setup_changed.connect(self._setup_known)
        self.models.setup_changed.connect(lambda info: QTimer.singleShot(0, self, lambda: grow_to_fit(self)))
        mlay.addWidget(self.models)
        rlay.addWidget(mbox)
        rlay.addStretch()
        self.tabs.addTab(page, "Face recognition")

        # -- faces
        page = QWidget()
        flay = QVBoxLayout(page)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.min_face = QSpinBox()
        self.min_face.setAccessibleName("Minimum face size")
        self.min_face.setRange(int(prefs.MIN_FACE_SIZE.minimum or 8),
                               int(prefs.MIN_FACE_SIZE.maximum or 2000))
        self.min_face.setSuffix(" px")
        self.min_face.setMinimumWidth(90)
        self.min_face.setValue(min_face_size)
        self.min_face.setToolTip("Faces smaller than this (in the full-size photo) are ignored. "
                                 "Applies to photos scanned from now on.")
        form.addRow("Ignore faces smaller than:", self.min_face)
        flay.addLayout(form)
        intro = QLabel("Kinfolk decides by itself how alike two faces must be to name one after the "
                       "other, and asks you when it is not sure. The numbers behind this are under "
                       "Advanced; most people never need them.")
        intro.setWordWrap(True)
        flay.addWidget(intro)
        self.advanced = QToolButton()
        self.advanced.setText("Advanced")
        self.advanced.setCheckable(True)
        self.advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced.setAutoRaise(True)
        self.advanced.setAccessibleName("Show the recognition thresholds")
        flay.addWidget(self.advanced)
        self.thr_box = QGroupBox("Recognition thresholds")
        tform = QFormLayout(self.thr_box)
        tform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.thr_auto = self._spin("Assign automatically above")
        self.thr_suggest = self._spin("Suggest above")
        self.thr_match = self._spin("Same person above")
        tform.addRow("Assign to a person automatically above:", self.thr_auto)
        tform.addRow("Suggest a person above:", self.thr_suggest)
        tform.addRow("Count as the same person above:", self.thr_match)
        self.thr_note = QLabel()
        self.thr_note.setWordWrap(True)
        reset = QPushButton("Restore defaults")
        reset.clicked.connect(self._reset_thresholds)
        self.measure_button = QPushButton("Measure on my confirmed faces")
        self.measure_button.setToolTip("Compute the thresholds from the faces you named and confirmed "
                                       "(ROC / equal error rate); you can still adjust them")
        self.measure_button.setEnabled(calibrate is not None)
        self.measure_button.clicked.connect(self._measure_thresholds)
        brow = QHBoxLayout()
        brow.addWidget(reset)
        brow.addWidget(self.measure_button)
        brow.addStretch()
        tform.addRow("", brow)
        tform.addRow(self.thr_note)
        flay.addWidget(self.thr_box)
        self.thr_box.setVisible(False)
        self.advanced.toggled.connect(self._show_advanced)
        flay.addStretch()
        self.tabs.addTab(page, "Faces")
        self._set_thresholds(thresholds_of(model_id) if model_id else None)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    # -- folders ------------------------------------------------------------------------------

    def folder_list(self) -> list[str]:
        return self.folder_editor.paths()

    def add_folder(self, path: str | os.PathLike) -> None:
        self.folder_editor.add(path)

    # -- recognition --------------------------------------------------------------------------

    def _setup_known(self, info: SetupInfo) -> None:
        """Fill the pack combo once the installed packs are known."""
        current = self._pack_choice() if self.pack_combo.count() else (
            self._machine0.backend, self._machine0.pack)
        self.pack_combo.blockSignals(True)
        self.pack_combo.clear()
        auto_name = info.pack_id if self._machine0.backend == "auto" else "the best installed"
        best = next((sp for sp in info.installed if sp.id == info.pack_id), None)
        now = plain_quality(best).lower() if best else auto_name
        self.pack_combo.addItem(f"Automatic: the best one installed (now {now})", ("auto", ""))
        for spec in sorted(info.installed, key=lambda sp: -sp.rank):
            self.pack_combo.addItem(plain_words(spec), ("onnx", spec.id))
            self.pack_combo.setItemData(self.pack_combo.count() - 1, spec.name,
                                        Qt.ItemDataRole.ToolTipRole)
        self.pack_combo.addItem(plain_words(None), ("dlib", ""))
        idx = max(0, self.pack_combo.findData(current))
        self.pack_combo.setCurrentIndex(idx)
        self.pack_combo.blockSignals(False)
        # Providers this onnxruntime build lacks can't be chosen (CPU and auto always can).
        model = self.provider_combo.model()
        for i in range(self.provider_combo.count()):
            key = self.provider_combo.itemData(i)
            ok = key in ("auto", "cpu") or PROVIDER_ORT[key] in info.available_providers
            model.item(i).setEnabled(ok)
            if not ok:
                model.item(i).setToolTip("Not available in this installation")
        if self.model_id is None and info.model_id:
            self.model_id = info.model_id
            self._set_thresholds(self.thresholds_of(info.model_id))

    def _pack_choice(self) -> tuple[str, str]:
        data = self.pack_combo.currentData()
        return tuple(data) if data else (self._machine0.backend, self._machine0.pack)

    def machine(self) -> MachineSettings:
        backend, pack = self._pack_choice()
        return MachineSettings(backend=backend, pack=pack,
                               provider=self.provider_combo.currentData() or "auto")

    # -- thresholds ---------------------------------------------------------------------------

    def _spin(self, name: str) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(-1.0, 1.0)
        s.setDecimals(3)
        s.setSingleStep(0.01)
        s.setAccessibleName(name)
        s.setMinimumWidth(90)
        return s

    def _show_advanced(self, on: bool) -> None:
        self.advanced.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.thr_box.setVisible(on)

    def _set_thresholds(self, t: Thresholds | None) -> None:
        self.thr_box.setEnabled(t is not None)
        if t is None:
            self.thr_note.setText("Thresholds are set per face model; they appear once a model is "
                                  "known.")
            return
        self.thr_auto.setValue(t.auto)
        self.thr_suggest.setValue(t.suggest)
        self.thr_match.setValue(t.match)
        self.thr_note.setText(f"Cosine similarity for the model “{self.model_id}”. Higher means "
                              "fewer mistakes but more faces left for you to name. "
                              "“Measure on my confirmed faces” computes them from the people you named.")

    def _measure_thresholds(self) -> None:
        """Run the calibration in the background; fill the boxes with its proposal."""
        if not (self.model_id and self.calibrate):
            return
        model_id, calibrate = self.model_id, self.calibrate
        self.measure_button.setEnabled(False)
        self.thr_note.setText("Measuring on your confirmed faces…")

        def done(cal) -> None:
            self.measure_button.setEnabled(True)
            self._set_thresholds(cal.proposed)
            self.thr_note.setText(
                f"Measured on {cal.faces} confirmed faces of {cal.people} people: two faces of "
                f"different people are told apart {1 - cal.eer:.1%} of the time. Automatic naming "
                f"is set for about {cal.target_far:g} mistakes per comparison"
                + (f", and kept above every face you answered “No” to ({cal.rejections})"
                   if cal.rejections else "")
                + (". Click OK to use these." if cal.far_measurable else
                   f". But only {cal.impostor_pairs:,} pairs of faces of different people could be "
                   f"compared, too few to measure that (it takes {cal.pairs_needed:,}): these numbers "
                   "are a rough guess. Name more people first, or click Restore defaults."))

        def failed(exc: BaseException) -> None:
            self.measure_button.setEnabled(True)
            self.thr_note.setText(str(exc))

        self.runner.run(lambda ctx: calibrate(model_id), on_success=done, on_error=failed,
                        name="calibrate", owner=self)

    def _reset_thresholds(self) -> None:
        if self.model_id:
            self._set_thresholds(default_thresholds(self.model_id))

    def thresholds(self) -> Thresholds | None:
        if not self.thr_box.isEnabled():
            return None
        return Thresholds(match=self.thr_match.value(), auto=self.thr_auto.value(),
                          suggest=self.thr_suggest.value())

    # -- result -------------------------------------------------------------------------------

    def accept(self) -> None:
        t = self.thresholds()
        if t is not None and not (t.suggest <= t.auto):
            QMessageBox.warning(self, "Kinfolk", "The suggestion threshold must not be above the "
                                "automatic-assignment threshold.")
            self.tabs.setCurrentIndex(2)
            self.advanced.setChecked(True)
            return
        self.models.cancel_download()
        super().accept()

    def result_settings(self) -> SettingsResult:
        now = self.folder_list()
        m = self.machine()
        return SettingsResult(
            folders_added=[f for f in now if f not in self._folders0],
            folders_removed=[f for f in self._folders0 if f not in now],
            machine=m, machine_changed=m != self._machine0,
            min_face_size=self.min_face.value(), thresholds=self.thresholds(), model_id=self.model_id)

    def _ask_folder(self) -> str | None:
        return choose_folder(self, "Add a photo folder", str(Path.home()))

    def _ask_remove(self, path: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Remove folder?",
                          f"Stop watching {path}?\n\nWhen you click OK, Kinfolk forgets the photos in "
                          "it and the faces found there, including names given to those faces. The "
                          "photos themselves stay where they are.", parent=self)
        ok = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

