"""What the People, Unnamed groups and Suggestions views show, read in one background task.

``PeopleData`` re-reads after every change (naming, undo, grouping after a scan), at most once per
``interval``; views connect to ``loaded``. After the user names or moves faces, the new confirmed
faces are evidence for matching: ``rematch()`` (debounced) runs ``Library.after_edit`` in the
background, so other faces of a just-named person show up as suggestions without a re-scan. It does
not re-cluster (group ids stay put while the user works through them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from kinfolk.core.library import Library
from kinfolk.core.people.matching import Suggestion, list_suggestions
from kinfolk.core.people.edits import (Change, ClusterSummary, PersonSummary, journaled_match,
    list_clusters, list_people, single_face_ids)
from kinfolk.db.connection import opened, translate_error
from kinfolk.gui.tasks import TaskRunner
from kinfolk.gui.widgets.common import Throttle

log = logging.getLogger(__name__)


@dataclass
class PeopleSnapshot:
    people: list[PersonSummary] = field(default_factory=list)  # hidden ones included
    clusters: list[ClusterSummary] = field(default_factory=list)  # largest first
    suggestions: list[Suggestion] = field(default_factory=list)  # most likely first
    singles: int = 0  # faces in no group, on nobody, not suggested (reviewed one by one)

    @property
    def names(self) -> list[str]:
        return sorted((p.name for p in self.people), key=str.casefold)

    def visible_people(self) -> list[PersonSummary]:
        return [p for p in self.people if not p.hidden]


def read_people(library: Path) -> PeopleSnapshot:
    with opened(library) as conn:
        return PeopleSnapshot(list_people(conn, include_hidden=True), list_clusters(conn),
                              list_suggestions(conn), len(single_face_ids(conn)))


def rematch(library: Path, ctx) -> Change:
    """``Library.after_edit`` (worker thread). Returns the faces it assigned automatically as an
    undoable ``Change`` (``result``: faces suggested)."""
    with Library(library) as lib:
        return journaled_match(lib.conn, lambda conn: lib.after_edit(cancel=ctx.token).suggested)


class PeopleData(QObject):
    loaded = Signal(object)  # PeopleSnapshot
    problem = Signal(str)  # reading or matching failed (e.g. a disk I/O error): a line for the user
    # (Change made by matching, the anchor() value when that matching started): the session ties it
    # to the undo step it followed from.
    rematched = Signal(object, object)

    def __init__(self, runner: TaskRunner, library: Path, parent: QObject | None = None,
                 interval: float = 0.3, rematch_delay_ms: int = 1500) -> None:
        super().__init__(parent)
        self.runner = runner
        self.library = Path(library)
        self.snapshot = PeopleSnapshot()
        self.generation = 0  # increases with every snapshot shown (tests wait on it)
        self._busy = False
        self._again = False
        self._throttle = Throttle(self._start, interval, self)
        self._rematch_timer = QTimer(self)
        self._rematch_timer.setSingleShot(True)
        self._rematch_timer.setInterval(rematch_delay_ms)
        self._rematch_timer.timeout.connect(self._rematch_now)
        self._rematching = False
        self.anchor: Callable[[], object] = lambda: None  # what a re-match follows from (undo step)

    def reload(self) -> None:
        self._throttle.trigger()

    @property
    def busy(self) -> bool:
        return (self._busy or self._again or self._rematching or self._rematch_timer.isActive()
                or self._throttle._timer.isActive())

    def _start(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        lib = self.library
        self.runner.run(lambda ctx: read_people(lib), name="read people", on_success=self._done,
                        on_error=self._failed)

    def _done(self, snap: PeopleSnapshot) -> None:
        self._busy = False
        self.snapshot = snap
        self.generation += 1
        self.loaded.emit(snap)
        if self._again:
            self._again = False
            self._start()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._again = False
        log.warning("reading people failed: %s", exc)
        self.problem.emit(f"Could not read the people list: {translate_error(exc, self.library)}")

    def schedule_rematch(self) -> None:
        self._rematch_timer.start()

    def _rematch_now(self) -> None:
        if self._rematching:
            self._rematch_timer.start()
            return
        self._rematching = True
        lib = self.library
        anchor = self.anchor()

        def done(change: Change) -> None:
            self._rematching = False
            self.rematched.emit(change, anchor)
            self.reload()

        def failed(exc: BaseException) -> None:
            self._rematching = False
            log.warning("matching faces to people failed: %s", exc)
            self.problem.emit(f"Could not match faces to people: {translate_error(exc, lib)}")

        self.runner.run(lambda ctx: rematch(lib, ctx), name="match faces", on_success=done,
                        on_error=failed, on_cancelled=lambda: setattr(self, "_rematching", False))
