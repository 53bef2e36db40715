"""The scan pipeline: walk folders → decode + detect (worker threads) → embed (batched) → one writer.

Contracts:
- Incremental: a file whose (size, mtime_ns) matches the index and that was scanned with the current
  recognizer is not opened at all. A new file whose content hash matches an indexed photo that is no
  longer on disk is a *move*: the photo keeps its faces, names and decisions.
- Nothing is deleted because files are missing (docs/robustness.md). A root folder that is gone, not
  a folder, unreadable, or empty while the library knows photos in it is *offline*: reported, and
  its photos untouched. A photo not found in a present folder is marked *missing* (after a complete,
  uncancelled scan) and keeps its faces; it comes back by path or, moved, by content hash. Photos
  under a subfolder that could not be listed are left as they are. Only an explicit action
  (``core.missing``) removes missing photos.
- Failed photos are retried when their cause may be gone: always for transient reasons
  (``RETRY_REASONS``), otherwise when the file's size or mtime changed.
- Crash safety: each photo's row and faces are committed together by the single writer, in batched
  transactions. A process killed at any moment leaves a valid index; the next scan redoes only the
  photos that were not committed.
- Memory is flat on any library size: at most ``2 × workers`` photos are in flight, and the queues
  between stages are bounded.
- Bad files never stop a scan: each becomes a photo row with ``status='error'`` and a reason code
  (``imageio.ImageLoadError``, or the walk's: ``not_a_file``, ``broken_link``, ``link_loop``). A
  FIFO or device is never opened. A file that vanishes mid-scan is simply not recorded. What cannot
  be a row (a folder that cannot be listed, a path over the system limit) is in
  ``ScanSummary.problems``.
- No hang: a failure of any stage (library errors such as read-only, disk full or busy raise
  ``LibraryError``; anything else ``ScanError``) stops every stage promptly; what was committed
  stays (tests/integration/test_scan_failures.py runs each one under a watchdog).
- ``progress`` is called from the writer thread, at most every ``PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from kinfolk.db import folders as db_folders
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import LibraryError, check_integrity, connect, library_files, opened, transaction
from kinfolk.core.faces.align import align_face
from kinfolk.core.faces.backend import FaceBackend, Float32Array, ImageArray
from kinfolk.core.cancel import Cancelled, CancelToken
from kinfolk.core.filenames import readable
from kinfolk.core.imaging.imageio import ImageLoadError, load_for_detection
from kinfolk.core.faces.quality import face_quality
from kinfolk.core.scan.content_hash import NotAFileError, file_hash
from kinfolk.core.scan.scan_lock import ScanLock
from kinfolk.core.scan.walk import Walk
from kinfolk.core.metadata.region_import import ImportReport, import_regions
from kinfolk.core.imaging.thumbnails import face_thumbnail

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.2
#: Failures whose cause may be gone without the file changing (chmod, a share back, a Kinfolk bug
#: fixed): retried by every scan. Others (damaged, not an image...) only when size or mtime change.
RETRY_REASONS = frozenset({"permission", "unreadable", "internal", "not_a_file"})


class ScanError(Exception):
    """The scan stopped on an unexpected failure (a bug, or a decoder/recognizer crash); photos
    committed before it are kept. The message is for the user; ``__cause__`` has the details."""


@dataclass
class ScanOptions:
    # One photo per core: ONNX sessions on CPU run one intra-op thread (providers.py), so the
    # workers are the only parallelism (capped: 2 × workers decoded photos are in flight).
    workers: int = max(1, min(8, os.cpu_count() or 1))
    min_face_size: int = 20  # short side of the face box in full-size pixels
    embed_batch: int = 32
    thumbnails: bool = True
    wait_for_other_scan: bool = False  # else another scan of the library refuses this one
    lock_owner: str = "a Kinfolk scan"  # who scans, for the other scan's message


@dataclass
class ScanProgress:
    phase: str  # "waiting" (for another scan; path = who) | "walking" | "scanning" | "done"
    done: int = 0
    total: int = 0
    faces: int = 0
    errors: int = 0
    elapsed: float = 0.0
    path: str = ""

    @property
    def rate(self) -> float:
        """Photos per second since scanning began."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass
class ScanSummary:
    found: int = 0  # image files under the roots
    unchanged: int = 0  # skipped without opening
    processed: int = 0  # decoded (or failed to) this time
    moved: int = 0
    missing: int = 0  # photos under the scanned folders not found (kept, marked missing)
    returned: int = 0  # photos marked missing before and found again this time
    faces: int = 0  # faces found in processed photos
    errors: int = 0
    elapsed: float = 0.0
    cancelled: bool = False
    error_list: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, message)
    offline: list[tuple[str, str, str]] = field(default_factory=list)  # (root, reason, message)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, message)
    regions: ImportReport | None = None  # names read from the scanned photos' metadata

    @property
    def rate(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class _Item:
    path: str
    size: int
    mtime_ns: int
    known: db_photos.IndexedPhoto | None
    problem: tuple[str, str] | None = None  # (reason, message): recorded as is, never opened


@dataclass
class _Result:
    """What a worker hands on: a photo record (faces without embeddings yet) and the face chips."""

    record: db_photos.PhotoRecord | None = None
    chips: list[ImageArray] = field(default_factory=list)
    move: tuple[int, str, int, int] | None = None  # (photo id, path, size, mtime_ns)
    touch: tuple[int, int, int] | None = None  # (photo id, size, mtime_ns): same content, new stat
    vanished: bool = False


# ------------------------------------------------------------------------------------------ scan

def _attach_embeddings(results: list[_Result], emb: Float32Array) -> None:
    """Give the faces of ``results`` their rows of ``emb`` (in chip order) and drop the chips."""
    i = 0
    for r in results:
        if r.chips:
            assert r.record is not None  # chips are only cut from a decoded record's faces
            for face in r.record.faces:
                face.embedding = emb[i]
                i += 1
        r.chips = []


class Scanner:
    """One scan of some folders into a library. Construct, then ``run()`` (blocking).

    ``control`` (a ``CancelToken``) may be cancelled, paused and resumed from any thread.
    """

    def __init__(self, library: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]],
                 backend: FaceBackend, options: ScanOptions | None = None,
                 progress: Callable[[ScanProgress], None] | None = None,
                 control: CancelToken | None = None) -> None:
        self.library = library
        self.roots = [str(Path(r).expanduser().resolve()) for r in roots]
        self.backend = backend
        self.options = options or ScanOptions()
        self.progress = progress
        self.control = control or CancelToken()
        self.summary = ScanSummary()
        self._missing_by_hash: dict[str, db_photos.IndexedPhoto] = {}
        self._missing_lock = threading.Lock()
        self._moved_ids: set[int] = set()
        self._returned_ids: list[int] = []
        self._walk: Walk | None = None
        self._written_ids: list[int] = []  # photos (re)written: their metadata's names are imported
        self._failure: BaseException | None = None

    # -- plan ---------------------------------------------------------------------------------

    def _plan(self, conn: sqlite3.Connection) -> tuple[list[_Item], dict[str, db_photos.IndexedPhoto]]:
        """Walk the roots: the work to do, and the indexed photos not found (to mark missing).

        Photos under an offline root or an unlistable folder are neither: they are left untouched."""
        model = self.backend.model_id
        index = db_photos.indexed_photos(conn, self.roots)
        work: list[_Item] = []
        seen: set[str] = set()
        self._walk = w = Walk(self.roots, skip=library_files(self.library))
        for found in w:
            self.control.check()
            path = found.path
            seen.add(path)
            self.summary.found += 1
            known = index.get(path)
            if known is not None and known.missing:
                self._returned_ids.append(known.id)
            if found.problem is not None:
                if known and known.status == "error" and known.error_reason == found.problem[0]:
                    self.summary.unchanged += 1
                else:
                    work.append(_Item(path, 0, 0, known, found.problem))
                continue
            st = found.stat
            assert st is not None  # a Found without a problem has its stat
            if _unchanged(known, st, model):
                self.summary.unchanged += 1
                continue
            work.append(_Item(path, st.st_size, st.st_mtime_ns, known))
        for root in w.empty_roots:  # an empty mount point looks like this: offline if we knew photos
            if db_photos.indexed_photos(conn, [root]):
                w.offline[root] = ("empty", "the folder is empty (an unmounted drive?); the photos "
                                   "known in it are kept")
                w.unreachable.append(root)
        self.summary.offline = [(r, *w.offline[r]) for r in self.roots if r in w.offline]
        self.summary.problems = list(w.problems)
        missing = {p: ph for p, ph in index.items()
                   if p not in seen and not any(_is_under(p, d) for d in w.unreachable)}
        for ph in [*missing.values(), *db_photos.missing_photos(conn)]:
            if ph.hash:
                self._missing_by_hash.setdefault(ph.hash, ph)
        return work, missing

    # -- worker: hash, decode, detect, crop ---------------------------------------------------

    def _process(self, item: _Item) -> _Result:
        self.control.check()
        backend, opts = self.backend, self.options
        rec = db_photos.PhotoRecord(path=item.path, size=item.size, mtime_ns=item.mtime_ns,
                                    scan_model=backend.model_id)
        if item.problem is not None:
            return _Result(record=self._error(rec, *item.problem))
        try:
            rec.hash = file_hash(item.path)
        except FileNotFoundError:
            return _Result(vanished=True)
        except NotAFileError:
            return _Result(record=self._error(rec, "not_a_file", "this is not a regular file; it "
                                              "was not opened"))
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                return _Result(record=self._error(rec, "path_too_long", "the path is too long for "
                                                  "this system"))
            return _Result(record=self._error(rec, "permission" if isinstance(exc, PermissionError)
                                              else "unreadable", f"cannot read the file: {exc}"))
        if item.known is None:
            with self._missing_lock:
                moved = self._missing_by_hash.pop(rec.hash, None)
            if moved is not None and moved.status == "ok" and moved.scan_model == backend.model_id:
                return _Result(move=(moved.id, item.path, item.size, item.mtime_ns))
        elif (item.known.hash == rec.hash and item.known.status == "ok"
              and item.known.scan_model == backend.model_id):
            return _Result(touch=(item.known.id, item.size, item.mtime_ns))
        try:
            photo = load_for_detection(item.path, min_long_side=backend.detect_size)
        except ImageLoadError as exc:
            if exc.reason == "missing":
                return _Result(vanished=True)
            return _Result(record=self._error(rec, exc.reason, str(exc)))
        except Exception as exc:  # a bug or an exotic decoder failure: record it, keep scanning
            log.exception("unexpected failure decoding %s", item.path)
            return _Result(record=self._error(rec, "internal", f"{type(exc).__name__}: {exc}"))
        rec.width, rec.height = photo.full_size
        rec.format = photo.format
        rec.taken_at, rec.taken_at_source = photo.taken_at, photo.taken_at_source
        chips = []
        try:
            detections = backend.detect(photo.rgb)
            for det in detections:
                size_full = det.size * photo.scale
                if size_full < opts.min_face_size:
                    continue
                chip = backend.crop(photo.rgb, det)
                # Quality is judged on the ArcFace-aligned 112-px chip whatever the backend, so the
                # clustering gate means the same for dlib's 150-px padded chips.
                qchip = chip if chip.shape[:2] == (112, 112) else align_face(photo.rgb, det.landmarks)
                full = det.scaled(photo.scale)
                rec.faces.append(db_photos.FaceRecord(
                    box=[float(v) for v in full.box], landmarks=full.landmarks.astype(np.float32),
                    score=float(det.score), quality=face_quality(qchip, det, size_full),
                    embedding=np.zeros(0, np.float32),
                    thumbnail=face_thumbnail(photo.rgb, det.box) if opts.thumbnails else None))
                chips.append(chip)
        except Exception as exc:
            log.exception("face detection failed on %s", item.path)
            return _Result(record=self._error(rec, "internal", f"face detection failed: {exc}"))
        result = _Result(record=rec, chips=chips)
        if chips and self._embed_in_workers:
            _attach_embeddings([result], backend.embed(chips))
        return result

    @staticmethod
    def _error(rec: db_photos.PhotoRecord, reason: str, message: str) -> db_photos.PhotoRecord:
        # Messages often quote the path: make them printable (the path itself is kept exact).
        rec.status, rec.error_reason, rec.error = "error", reason, readable(message)
        return rec

    # -- stage threads ------------------------------------------------------------------------

    @property
    def _embed_in_workers(self) -> bool:
        """Embed in the decode workers (see ``FaceBackend.embed_in_workers``); the embedder thread
        then only forwards results."""
        return bool(getattr(self.backend, "embed_in_workers", False))

    def _embedder(self, inq: queue.Queue[_Result | None], outq: queue.Queue[_Result | None]) -> None:
        """Batches chips across photos for the recognizer (unless the workers embedded them);
        forwards results in order received."""
        pending: list[_Result] = []
        n_chips = 0

        def flush() -> None:
            nonlocal pending, n_chips
            chips = [c for r in pending for c in r.chips]
            if chips:
                _attach_embeddings(pending, self.backend.embed(chips))
            for r in pending:
                outq.put(r)
            pending, n_chips = [], 0

        try:
            while True:
                try:
                    r = inq.get(timeout=0.05)
                except queue.Empty:
                    if pending:
                        flush()
                    continue
                if r is None:
                    break
                pending.append(r)
                n_chips += len(r.chips)
                if n_chips >= self.options.embed_batch or len(pending) >= 16:
                    flush()
            if pending:
                flush()
        except BaseException as exc:  # surface to run(); stop everything
            self._failure = self._failure or exc
            self.control.cancel()
        finally:
            outq.put(None)

    def _writer(self, inq: queue.Queue[_Result | None], total: int, t0: float) -> None:
        """Commits results in batches. On any failure (the last commit included) it records the
        failure, cancels the scan and keeps reading until the end marker, unless it already had it,
        so upstream stages never block on a full queue and ``run`` never waits forever."""
        conn: sqlite3.Connection | None = None
        ended = False
        s = self.summary
        prog = ScanProgress("scanning", total=total)
        last_report = 0.0
        batch: list[_Result] = []
        last_commit = time.monotonic()

        def commit() -> None:
            nonlocal batch, last_commit
            assert conn is not None  # only called after connect() below
            with transaction(conn):
                for r in batch:
                    if r.move:
                        db_photos.move_photo(conn, *r.move)
                    elif r.touch:
                        db_photos.touch_photo(conn, *r.touch)
                    elif r.record:
                        self._written_ids.append(db_photos.write_photo(conn, r.record))
            batch, last_commit = [], time.monotonic()

        try:
            conn = connect(self.library)
            while True:
                try:
                    r = inq.get(timeout=0.25)
                except queue.Empty:
                    # Idle (paused, or slow photos): commit what is done so a kill loses nothing.
                    if batch:
                        commit()
                    continue
                if r is None:
                    ended = True
                    break
                if not r.vanished:
                    batch.append(r)
                s.processed += 1
                if r.move:
                    s.moved += 1
                    self._moved_ids.add(r.move[0])
                if r.record is not None:
                    s.faces += len(r.record.faces)
                    if r.record.status == "error":
                        s.errors += 1
                        s.error_list.append((r.record.path, r.record.error_reason or "",
                                             r.record.error or ""))
                if len(batch) >= 64 or time.monotonic() - last_commit > 0.5:
                    commit()
                now = time.monotonic()
                if self.progress and now - last_report >= PROGRESS_INTERVAL:
                    last_report = now
                    prog.done, prog.faces, prog.errors = s.processed, s.faces, s.errors
                    prog.elapsed = now - t0
                    prog.path = r.record.path if r.record else ""
                    self.progress(prog)
            if batch:
                commit()
        except BaseException as exc:
            self._failure = self._failure or exc
            self.control.cancel()
            while not ended and inq.get() is not None:  # drain so upstream never blocks
                pass
        finally:
            if conn is not None:
                conn.close()

    # -- run ----------------------------------------------------------------------------------

    def run(self) -> ScanSummary:
        """``_run`` holding the library's ``ScanLock`` (one scan at a time: a second is refused with
        ``ScanInProgressError``, or waits if ``options.wait_for_other_scan``), after a
        ``quick_check`` of the file (no scan writes into a damaged library)."""
        def waiting(holder: str) -> None:
            if self.progress:
                self.progress(ScanProgress("waiting", path=holder))

        with ScanLock(self.library, self.options.lock_owner, self.options.wait_for_other_scan,
                      self.control, waiting):
            with opened(self.library) as conn:
                check_integrity(conn)
            return self._run()

    def _run(self) -> ScanSummary:
        """Scan and return the summary. Raises ``LibraryError`` if the library cannot be written;
        a cancelled scan returns normally with ``summary.cancelled`` set."""
        t_start = time.monotonic()
        conn = connect(self.library)
        try:
            with transaction(conn):
                for root in self.roots:
                    db_folders.add_folder(conn, root)
            if self.progress:
                self.progress(ScanProgress("walking"))
            try:
                work, missing = self._plan(conn)
            except Cancelled:
                self.summary.cancelled = True
                return self.summary
            assert self._walk is not None  # set by _plan
            with transaction(conn):
                for root in self.roots:
                    off = self._walk.offline.get(root)
                    db_folders.set_folder_offline(conn, root, off[0] if off else None)
                db_photos.mark_present(conn, self._returned_ids)
            self.summary.returned = len(self._returned_ids)
            for root, _reason, message in self.summary.offline:
                log.warning("folder offline: %s: %s", readable(root), message)
            t0 = time.monotonic()
            embed_q: queue.Queue[_Result | None] = queue.Queue(maxsize=2 * self.options.workers)
            write_q: queue.Queue[_Result | None] = queue.Queue(maxsize=16)
            embedder = threading.Thread(target=self._embedder, args=(embed_q, write_q),
                                        name="kinfolk-embed", daemon=True)
            writer = threading.Thread(target=self._writer, args=(write_q, len(work), t0),
                                      name="kinfolk-write", daemon=True)
            embedder.start()
            writer.start()
            inflight = threading.BoundedSemaphore(2 * self.options.workers)

            def hand_on(r: _Result | None) -> None:
                # A dead embedder reads nothing more: give up rather than block a worker (and, for
                # the end marker, this thread) forever; the failure is reported by run().
                while True:
                    try:
                        embed_q.put(r, timeout=0.1)
                        return
                    except queue.Full:
                        if self._failure is not None and not embedder.is_alive():
                            return

            def done(fut: Future[_Result]) -> None:
                inflight.release()
                if fut.cancelled():
                    return
                exc = fut.exception()
                if exc is None:
                    hand_on(fut.result())
                elif not isinstance(exc, Cancelled):
                    self._failure = self._failure or exc
                    self.control.cancel()

            with ThreadPoolExecutor(self.options.workers, thread_name_prefix="kinfolk-decode") as pool:
                for item in work:
                    inflight.acquire()
                    if self.control.cancelled:
                        inflight.release()
                        break
                    pool.submit(self._process, item).add_done_callback(done)
            hand_on(None)
            embedder.join()
            writer.join()
            if self._failure is not None:
                raise self._stopped(self._failure)
            if self._written_ids:  # names that travel with the photos (XMP, .picasa.ini)
                self.summary.regions = import_regions(conn, self._written_ids)
            self.summary.cancelled = self.control.cancelled
            if not self.summary.cancelled:
                gone = [ph.id for ph in missing.values() if ph.id not in self._moved_ids]
                with transaction(conn):
                    db_photos.mark_missing(conn, gone)
                self.summary.missing = sum(1 for ph in db_photos.indexed_photos(conn, self.roots).values()
                                           if ph.missing)
            self.summary.elapsed = time.monotonic() - t0
            if self.progress:
                p = ScanProgress("done", self.summary.processed, len(work), self.summary.faces,
                                 self.summary.errors, self.summary.elapsed)
                self.progress(p)
            return self.summary
        finally:
            conn.close()
            self.summary.elapsed = self.summary.elapsed or (time.monotonic() - t_start)

    def _stopped(self, failure: BaseException) -> BaseException:
        """The exception ``run`` raises for a stage's failure: library errors as they are (their
        message says what to do), anything else as a ``ScanError`` with one clear line."""
        if isinstance(failure, (LibraryError, KeyboardInterrupt)):
            return failure
        log.info("the scan stopped on an unexpected failure", exc_info=failure)
        err = ScanError(f"the scan stopped on an unexpected failure ({type(failure).__name__}: "
                        f"{readable(str(failure))}); the photos committed before it are kept and the "
                        "next scan continues from there")
        err.__cause__ = failure
        return err


def _unchanged(known: db_photos.IndexedPhoto | None, st: os.stat_result, model: str) -> bool:
    """True when a scan can skip the file without opening it."""
    if known is None or known.size != st.st_size or known.mtime_ns != st.st_mtime_ns:
        return False
    if known.status == "error":
        return known.error_reason not in RETRY_REASONS
    return known.scan_model == model


def _is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
