"""Runs library scans in the background and tells the views how they go.

One scan at a time. The controller builds the face backend (loading weights) in the worker, runs
``core.scanner.Scanner`` with the task's ``CancelToken`` (so the status bar's pause/resume/cancel act
on the scanner directly) and turns the scanner's progress callbacks into Qt signals on the GUI thread.
Asking for a scan while one runs queues exactly one more (the folder list may have changed).
The backend is kept between scans while the machine settings and the best installed pack stay the same.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinfolk.core.faces.backend_choice import make_backend, resolve_pack
from kinfolk.core.library import Library
from kinfolk.core.scan.scanner import ScanOptions, ScanProgress, Scanner, ScanSummary
from kinfolk.db import folders as db_folders
from kinfolk.gui import preferences as prefs
from kinfolk.gui.tasks import Progress, TaskContext, TaskHandle, TaskRunner

log = logging.getLogger(__name__)


class ScanController(QObject):
    started = Signal()
    progressed = Signal(object)  # ScanProgress (a copy); phase "loading" while models load
    finished = Signal(object)  # ScanSummary
    failed = Signal(str)  # a message for the user
    paused_changed = Signal(bool)

    def __init__(self, runner: TaskRunner, library: Path, parent: QObject | None = None,
                 models_dir: str | os.PathLike | None = None, workers: int | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.library = Path(library)
        self.models_dir = models_dir
        self.workers = workers
        self.machine = prefs.load_machine()
        self.last_progress: ScanProgress | None = None
        self.last_summary: ScanSummary | None = None
        self.backend_description = ""  # what the last scan really ran on (after any GPU fallback)
        self._handle: TaskHandle | None = None
        self._again = False
        self._backend = None
        self._backend_key: tuple | None = None
        self._backend_lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._handle is not None

    @property
    def paused(self) -> bool:
        return self._handle is not None and self._handle.paused

    def start(self) -> bool:
        """Scan every library folder. Returns False (and queues a rescan) if a scan is running."""
        if self._handle is not None:
            self._again = True
            return False
        with Library(self.library) as library:
            folders = db_folders.list_folders(library.conn)
            opts = library.scan_options()
        if not folders:
            return False
        opts.lock_owner = "the Kinfolk app"
        if self.workers:
            opts.workers = self.workers
        machine = self.machine
        self.last_progress = ScanProgress("loading")
        self._handle = self.runner.run(
            lambda ctx: self._work(ctx, folders, opts, machine), name="scan",
            on_success=self._done, on_error=self._error, on_progress=self._progress,
            on_cancelled=lambda: self._done(None))
        self.started.emit()
        self.progressed.emit(self.last_progress)
        return True

    def pause(self) -> None:
        if self._handle and not self._handle.paused:
            self._handle.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._handle and self._handle.paused:
            self._handle.resume()
            self.paused_changed.emit(False)

    def cancel(self) -> None:
        self._again = False
        if self._handle:
            was_paused = self._handle.paused
            self._handle.cancel()  # also wakes a paused scan so it can stop
            if was_paused:
                self.paused_changed.emit(False)

    def set_machine(self, machine: prefs.MachineSettings) -> None:
        """New model settings; the next scan builds a new backend."""
        self.machine = machine

    # -- worker thread ------------------------------------------------------------------------

    def backend(self, machine: prefs.MachineSettings | None = None, loading=None):
        """The face backend for ``machine`` (default: the current settings), built on first use and
        kept (worker thread only: loading weights takes seconds). Also used to embed faces the
        user draws in the viewer."""
        machine = machine or self.machine
        # The pack is part of the key: a pack downloaded or imported since the last scan is used
        # now, without a restart (checksums are memoised, so this costs ~nothing after the first).
        pack = resolve_pack(machine.backend, machine.pack or None, self.models_dir)
        key = (machine, str(self.models_dir), pack.spec.id if pack else "dlib")
        with self._backend_lock:
            if self._backend is None or self._backend_key != key:
                self._backend = None
                if loading is not None:
                    loading()
                self._backend = make_backend(models_dir=self.models_dir, **machine.make_backend_args)
                self._backend_key = key
            return self._backend

    def _work(self, ctx: TaskContext, folders: list[str], opts: ScanOptions,
              machine: prefs.MachineSettings) -> ScanSummary:
        backend = self.backend(machine, lambda: ctx.progress(0, None, "loading",
                                                             ScanProgress("loading"), force=True))
        self.backend_description = (f"{backend.pack_id} on "
                                    f"{', '.join(_short(p) for p in backend.providers)}")
        ctx.check()

        def report(p: ScanProgress) -> None:
            ctx.progress(p.done, p.total, p.phase, dataclasses.replace(p),
                         force=p.phase != "scanning")

        scanner = Scanner(self.library, folders, backend, opts, progress=report, control=ctx.token)
        return scanner.run()

    # -- GUI thread ---------------------------------------------------------------------------

    def _progress(self, p: Progress) -> None:
        if isinstance(p.data, ScanProgress):
            self.last_progress = p.data
            self.progressed.emit(p.data)

    def _done(self, summary: ScanSummary | None) -> None:
        self._handle = None
        if summary is None:
            summary = ScanSummary(cancelled=True)
        self.last_summary = summary
        self.finished.emit(summary)
        if self._again and not summary.cancelled:
            self._again = False
            self.start()

    def _error(self, exc: BaseException) -> None:
        self._handle = None
        self._again = False
        log.error("scan failed", exc_info=exc)
        self.failed.emit(str(exc) or type(exc).__name__)


def _short(provider: str) -> str:
    return provider.replace("ExecutionProvider", "")
