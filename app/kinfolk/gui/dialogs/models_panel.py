"""The face-model panel of the welcome and settings dialogs: which pack and hardware will be used, and
getting a better pack (download with progress and cancel, or import a file the user already has).

Downloading is the app's only network use and starts only from the Download button.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QVBoxLayout, QWidget)

from kinfolk.core.faces.models import PackSpec, download_pack, import_file
from kinfolk.gui import resources
from kinfolk.gui.dialogs.model_setup import SetupInfo, describe_setup, human_size, plain_words
from kinfolk.gui.preferences import MachineSettings
from kinfolk.gui.tasks import TaskContext, TaskHandle, TaskRunner
from kinfolk.gui.dialogs.file_dialogs import choose_file
from kinfolk.gui.widgets.common import fmt_count


class ModelsPanel(QWidget):
    """Shows ``describe_setup`` for the given machine settings; ``setup_changed`` after each refresh."""

    setup_changed = Signal(object)  # SetupInfo
    busy_changed = Signal(bool)  # a download or import started (True) or ended (False)

    def __init__(self, runner: TaskRunner, machine: MachineSettings,
                 models_dir: str | os.PathLike | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.machine = machine
        self.models_dir = models_dir
        self.info: SetupInfo | None = None
        self.choose_file: Callable[[], str | None] = self._ask_file
        self._download: TaskHandle | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.pack_label = QLabel("Checking the installed models…")
        self.pack_label.setWordWrap(True)
        self.pack_label.setAccessibleName("Face model in use")
        self.provider_label = QLabel("…")
        self.provider_label.setAccessibleName("Hardware in use")
        self.license_label = QLabel()
        self.license_label.setWordWrap(True)
        self.license_label.setAccessibleName("Model license")
        form.addRow("Face model:", self.pack_label)
        form.addRow("Runs on:", self.provider_label)
        form.addRow("License:", self.license_label)
        lay.addLayout(form)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setVisible(False)
        self.problem_label.setAccessibleName("Model problem")
        lay.addWidget(self.problem_label)

        self.better_box = QWidget()
        blay = QVBoxLayout(self.better_box)
        blay.setContentsMargins(0, 6, 0, 0)
        self.better_intro = QLabel(
            "More accurate models can be downloaded: the only time Kinfolk uses the network.")
        self.better_intro.setWordWrap(True)
        blay.addWidget(self.better_intro)
        row = QHBoxLayout()
        self.better_combo = QComboBox()
        self.better_combo.setAccessibleName("Model pack to download")
        self.better_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.better_combo.setMinimumContentsLength(24)
        self.better_combo.currentIndexChanged.connect(self._show_pack_details)
        row.addWidget(self.better_combo, 1)
        self.download_button = QPushButton(resources.icon("download"), "Download")
        self.download_button.setAccessibleName("Download model pack")
        self.download_button.clicked.connect(self.start_download)
        row.addWidget(self.download_button)
        blay.addLayout(row)
        self.pack_details = QLabel()
        self.pack_details.setWordWrap(True)
        self.pack_details.setTextFormat(Qt.TextFormat.PlainText)
        self.pack_details.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 4)  # never cut
        blay.addWidget(self.pack_details)
        lay.addWidget(self.better_box)
        self.better_box.setVisible(False)

        prow = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_download)
        prow.addWidget(self.progress, 1)
        prow.addWidget(self.cancel_button)
        lay.addLayout(prow)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Model download status")
        lay.addWidget(self.status)
        irow = QHBoxLayout()
        self.import_button = QPushButton("Import a model file…")
        self.import_button.setToolTip("Use a model file or .zip you already have (checked against "
                                      "the published checksums)")
        self.import_button.clicked.connect(self.import_interactive)
        irow.addWidget(self.import_button)
        irow.addStretch()
        lay.addLayout(irow)
        self.refresh()

    # -- describe -----------------------------------------------------------------------------

    def set_machine(self, machine: MachineSettings) -> None:
        self.machine = machine
        self.refresh()

    def refresh(self) -> None:
        machine, models_dir = self.machine, self.models_dir
        self.runner.run(lambda ctx: describe_setup(machine, models_dir), name="describe models",
                        on_success=self._show, on_error=lambda e: self._show_problem(str(e)))

    def _show(self, info: SetupInfo) -> None:
        self.info = info
        spec = next((sp for sp in info.installed if sp.id == info.pack_id), None)
        self.pack_label.setText(plain_words(spec) if spec or info.is_dlib else info.pack_name)
        self.pack_label.setToolTip(info.pack_name)
        self.provider_label.setText(info.provider)
        lic = info.license
        if not info.commercial_use and "non-commercial" not in lic.lower():
            lic += " (not for commercial use)"
        self.license_label.setText(lic)
        self._show_problem(info.problem)
        self.better_combo.blockSignals(True)
        self.better_combo.clear()
        for spec in info.better:
            self.better_combo.addItem(plain_words(spec), spec.id)
            self.better_combo.setItemData(self.better_combo.count() - 1, spec.name,
                                          Qt.ItemDataRole.ToolTipRole)
        self.better_combo.blockSignals(False)
        self.better_box.setVisible(bool(info.better))
        self._show_pack_details()
        self.updateGeometry()
        QTimer.singleShot(0, self, self._fit_labels)
        self.setup_changed.emit(info)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_labels()

    def _fit_labels(self) -> None:
        """Reserve the height wrapped text needs at the current width: some layouts (forms, tab
        pages) do not pass height-for-width up, and the text arrives after the dialog is shown."""
        for lab in (self.pack_label, self.license_label, self.problem_label, self.better_intro,
                    self.pack_details, self.status):
            if lab.isVisibleTo(self) and lab.width() > 50:
                h = lab.heightForWidth(lab.width())
                if h > 0 and h != lab.minimumHeight():
                    lab.setMinimumHeight(h)

    def _show_problem(self, text: str | None) -> None:
        self.problem_label.setVisible(bool(text))
        if text:
            self.problem_label.setText(f"⚠ {text}")

    def selected_pack(self) -> PackSpec | None:
        if self.info is None or self.better_combo.currentIndex() < 0:
            return None
        pid = self.better_combo.currentData()
        return next((s for s in self.info.better if s.id == pid), None)

    def _show_pack_details(self) -> None:
        spec = self.selected_pack()
        if spec is None:
            self.pack_details.clear()
            return
        lic = spec.license
        if not spec.commercial_use and "non-commercial" not in lic.lower():
            lic += " (not for commercial use)"
        self.pack_details.setText(f"{spec.name}. License: {lic}")

    # -- download / import --------------------------------------------------------------------

    def start_download(self) -> None:
        spec = self.selected_pack()
        if spec is None or self._download is not None:
            return
        self._busy(True)
        self.progress.setRange(0, 0)
        self.status.setText(f"Downloading {spec.name}…")

        def work(ctx: TaskContext) -> list[str]:
            return download_pack(spec.id, progress=lambda done, total: ctx.progress(done, total),
                                 cancel=ctx.token)

        self._download = self.runner.run(work, name="download models", on_success=self._installed,
                                         on_error=self._failed, on_progress=self._dl_progress,
                                         on_cancelled=self._cancelled)

    def cancel_download(self) -> None:
        if self._download:
            self._download.cancel()
            self.status.setText("Cancelling…")

    def _dl_progress(self, p) -> None:
        if p.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * p.done / p.total))
            self.status.setText(f"Downloaded {human_size(p.done)} of {human_size(p.total)}")
        else:
            self.status.setText(f"Downloaded {human_size(p.done)}")

    def import_interactive(self) -> None:
        path = self.choose_file()
        if not path:
            return
        self._busy(True, cancellable=False)
        self.progress.setRange(0, 0)
        self.status.setText(f"Checking and importing {Path(path).name}…")
        self.runner.run(lambda ctx: import_file(path), name="import models",
                        on_success=self._installed, on_error=self._failed)

    def _installed(self, files: list[str]) -> None:
        self._download = None
        self._busy(False)
        self.status.setText(f"Installed {fmt_count(len(files), 'model file')}.")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        cancelled = self._download is not None and self._download.cancelled
        self._download = None
        self._busy(False)
        self.status.setText("Download cancelled." if cancelled else f"⚠ {exc}")

    def _cancelled(self) -> None:
        self._download = None
        self._busy(False)
        self.status.setText("Download cancelled.")

    def _busy(self, busy: bool, cancellable: bool = True) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy and cancellable)
        self.download_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.better_combo.setEnabled(not busy)
        self.busy_changed.emit(busy)

    @property
    def busy(self) -> bool:
        return self._download is not None

    def _ask_file(self) -> str | None:
        return choose_file(self, "Import a model file", str(Path.home()),
                           "Model files (*.onnx *.zip);;All files (*)")
