"""The status-bar widget of a running scan: photos done/total, faces, rate, ETA; pause/resume/cancel."""

from __future__ import annotations

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from kinfolk.core.scan.scanner import ScanProgress, ScanSummary
from kinfolk.gui import resources
from kinfolk.gui.scan_controller import ScanController
from kinfolk.gui.widgets.common import fmt_count, fmt_duration


def describe_progress(p: ScanProgress, paused: bool = False) -> str:
    """One line for people, e.g. "Scanning 120 of 800 photos · 45 faces · 3.2 photos/s · about 3 min left"."""
    if p.phase == "loading":
        return "Loading the face models…"
    if p.phase == "walking":
        return "Looking for photos…"
    head = "Paused at" if paused else "Scanning"
    parts = [f"{head} {p.done:,} of {fmt_count(p.total, 'photo')}", fmt_count(p.faces, "face")]
    if p.errors:
        parts.append(f"{p.errors:,} unreadable")
    if not paused and p.rate > 0:
        parts.append(f"{p.rate:.1f} photos/s")
        if p.eta is not None and p.done < p.total:
            parts.append(f"{fmt_duration(p.eta)} left")
    return " · ".join(parts)


def describe_summary(s: ScanSummary) -> str:
    if s.cancelled:
        return (f"Scan stopped after {fmt_count(s.processed, 'photo')} "
                f"({fmt_count(s.faces, 'face')} found). “Scan now” continues where it stopped.")
    parts = [f"Scan finished: {fmt_count(s.found, 'photo')}"]
    if s.processed:
        parts.append(f"{s.processed:,} new or changed")
    parts.append(fmt_count(s.faces, "new face"))
    if s.errors:
        parts.append(f"{s.errors:,} could not be read")
    if s.missing:
        parts.append(f"{s.missing:,} missing (kept with their faces)")
    if s.offline:
        parts.append(f"{fmt_count(len(s.offline), 'folder')} offline (photos kept)")
    if s.problems:
        parts.append(f"{len(s.problems):,} folder(s) or link(s) could not be opened")
    return ", ".join(parts)


def describe_organize(report) -> str:
    """What matching and grouping found after a scan (a ``grouping.OrganizeReport``), in one short
    line that names who was recognized, e.g. "Faces grouped: recognized Anna (5), Ben (2), Grandma (1)
    and 3 others; 2 faces to check in Suggestions; 19 unnamed groups to name."."""
    from kinfolk.core.clustering.grouping import names_with_counts  # the clustering stack: loaded by then

    parts = []
    if report.recognized:
        parts.append("recognized " + names_with_counts(report.recognized, limit=3, form="{name} ({count})"))
    if report.suggested:
        parts.append(f"{fmt_count(report.suggested, 'face')} to check in Suggestions")
    parts.append(f"{fmt_count(report.clusters, 'unnamed group')} to name" if report.clusters
                 else "no unnamed groups")
    return "Faces grouped: " + "; ".join(parts) + "."


class ScanStatus(QWidget):
    """Hidden while idle. After a scan, the summary stays in ``message`` for a while."""

    def __init__(self, scans: ScanController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scans = scans
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.label = QLabel()
        self.label.setAccessibleName("Scan progress")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Scan progress bar")
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.pause_button = QToolButton()
        self.pause_button.setAutoRaise(True)
        self.pause_button.setIconSize(QSize(16, 16))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button = QToolButton()
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setIconSize(QSize(16, 16))
        self.cancel_button.setIcon(resources.icon("stop"))
        self.cancel_button.setToolTip("Stop the scan (what was scanned is kept)")
        self.cancel_button.setAccessibleName("Stop scan")
        self.cancel_button.clicked.connect(scans.cancel)
        for w in (self.label, self.bar, self.pause_button, self.cancel_button):
            lay.addWidget(w)
        self._set_paused(False)
        scans.started.connect(self._started)
        scans.progressed.connect(self._progress)
        scans.paused_changed.connect(self._set_paused)
        scans.finished.connect(lambda s: self._stopped())
        scans.failed.connect(lambda m: self._stopped())
        self.setVisible(False)

    def toggle_pause(self) -> None:
        if self.scans.paused:
            self.scans.resume()
        else:
            self.scans.pause()

    def _show(self) -> None:
        """Visible, unless the status bar shows a temporary message: Qt hid this widget for it and
        shows it again when the message ends; showing it now would draw both texts on top of each
        other."""
        bar = self.parentWidget()
        if not (isinstance(bar, QStatusBar) and bar.currentMessage()):
            self.setVisible(True)

    def _started(self) -> None:
        bar = self.parentWidget()
        if isinstance(bar, QStatusBar):
            bar.clearMessage()  # a new scan: its progress replaces the last one's summary
        self._show()
        self.pause_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.bar.setRange(0, 0)

    def _progress(self, p: ScanProgress) -> None:
        self._show()
        if p.phase == "scanning" and p.total:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        elif p.phase != "done":
            self.bar.setRange(0, 0)  # busy indicator while loading models / walking folders
        self.label.setText(describe_progress(p, self.scans.paused))

    def _set_paused(self, paused: bool) -> None:
        self.pause_button.setIcon(resources.icon("resume" if paused else "pause"))
        self.pause_button.setToolTip("Resume the scan" if paused else "Pause the scan")
        self.pause_button.setAccessibleName("Resume scan" if paused else "Pause scan")
        if self.scans.last_progress is not None and self.isVisible():
            self.label.setText(describe_progress(self.scans.last_progress, paused))

    def _stopped(self) -> None:
        self.pause_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        QTimer.singleShot(0, self, lambda: self.setVisible(self.scans.running))
