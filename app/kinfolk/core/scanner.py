"""The scan pipeline: walk folders → decode + detect (worker threads) → embed (batched) → one writer.

Contracts:
- Incremental: a file whose (size, mtime_ns) matches the index and that was scanned with the current
  recognizer is not opened at all. A new file whose content hash matches an indexed photo that is no
  longer on disk is a *move*: the photo keeps its faces, names and decisions. Photos that vanished are
  deleted from the index only when the walk and the scan completed (a cancelled scan deletes nothing).
- Crash safety: each photo's row and faces are committed together by the single writer, in batched
  transactions. A process killed at any moment leaves a valid index; the next scan redoes only the
  photos that were not committed.
- Memory is flat on any library size: at most ``2 × workers`` photos are in flight, and the queues
  between stages are bounded.
- Bad files never stop a scan: each becomes a photo row with ``status='error'`` and a reason code
  (``imageio.ImageLoadError``). A file that vanishes mid-scan is simply not recorded. Library errors
  (read-only, disk full) stop the scan with a ``LibraryError``; what was committed stays.
- ``progress`` is called from the writer thread, at most every ``PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ..db import repo
from ..db.connection import connect, transaction
from .align import align_face
from .backend import FaceBackend
from .cancel import Cancelled, CancelToken
from .imageio import ImageLoadError, load_for_detection, sniff_format
from .quality import face_quality
from .thumbnails import face_thumbnail

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.2
IMAGE_EXTS = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic",
              ".heif", ".avif", ".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srw", ".orf",
              ".rw2", ".raf", ".pef"}
SKIP_DIRS = {"@eaDir", "$RECYCLE.BIN", "System Volume Information", "__MACOSX", "lost+found"}


@dataclass
class ScanOptions:
    # One photo per core: ONNX sessions on CPU run one intra-op thread (providers.py), so the
    # workers are the only parallelism (capped: 2 × workers decoded photos are in flight).
    workers: int = max(1, min(8, os.cpu_count() or 1))
    min_face_size: int = 20  # short side of the face box in full-size pixels
    embed_batch: int = 32
    thumbnails: bool = True


@dataclass
class ScanProgress:
    phase: str  # "walking" | "scanning" | "done"
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
    deleted: int = 0
    faces: int = 0  # faces found in processed photos
    errors: int = 0
    elapsed: float = 0.0
    cancelled: bool = False
    error_list: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, message)

    @property
    def rate(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class _Item:
    path: str
    size: int
    mtime_ns: int
    known: repo.IndexedPhoto | None


@dataclass
class _Result:
    """What a worker hands on: a photo record (faces without embeddings yet) and the face chips."""

    record: repo.PhotoRecord | None = None
    chips: list[np.ndarray] = field(default_factory=list)
    move: tuple[int, str, int, int] | None = None  # (photo id, path, size, mtime_ns)
    touch: tuple[int, int, int] | None = None  # (photo id, size, mtime_ns): same content, new stat
    vanished: bool = False


# ------------------------------------------------------------------------------------------ walk

def walk(roots: Iterable[str | os.PathLike]) -> Iterator[tuple[str, os.stat_result]]:
    """Image files under ``roots``: (absolute path, stat). Skips hidden and system folders; follows
    symlinked folders once (a folder reached twice, e.g. through a loop, is skipped)."""
    seen_dirs: set[tuple[int, int]] = set()
    stack = [Path(r).expanduser().resolve() for r in roots]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
            if (st.st_dev, st.st_ino) in seen_dirs:
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list %s: %s", d, exc)
            continue
        subdirs = []
        for e in entries:
            if e.name.startswith(".") or e.name in SKIP_DIRS:
                continue
            try:
                if e.is_dir():
                    subdirs.append(Path(e.path))
                    continue
                if not e.is_file():
                    continue
                est = e.stat()
            except OSError:
                continue
            if _looks_like_image(e.path, est):
                yield os.path.abspath(e.path), est
        stack.extend(reversed(subdirs))


def _looks_like_image(path: str, st: os.stat_result) -> bool:
    """Image extensions are taken as images (a broken one is reported); other files count only if
    their first bytes are an image signature, so sidecars and videos are ignored silently."""
    if os.path.splitext(path)[1].lower() in IMAGE_EXTS:
        return True
    if st.st_size < 12 or not stat.S_ISREG(st.st_mode):
        return False
    try:
        with open(path, "rb") as f:
            return sniff_format(f.read(64)) is not None
    except OSError:
        return False


HASH_SAMPLE = 1 << 16


def file_hash(path: str) -> str:
    """Content fingerprint used to recognise moved photos: blake2b-128 of the size and three 64 KiB
    samples (start, middle, end). Reading whole 5-25 MB camera files would cost more than decoding
    them at reduced scale; the samples cover the EXIF header (capture time, camera serial) and
    entropy-coded pixels, which differ between any two real photos."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        h.update(size.to_bytes(8, "little"))
        if size <= 3 * HASH_SAMPLE:
            h.update(f.read())
        else:
            for offset in (0, size // 2 - HASH_SAMPLE // 2, size - HASH_SAMPLE):
                f.seek(offset)
                h.update(f.read(HASH_SAMPLE))
    return h.hexdigest()


# ------------------------------------------------------------------------------------------ scan

def _attach_embeddings(results: list[_Result], emb: np.ndarray) -> None:
    """Give the faces of ``results`` their rows of ``emb`` (in chip order) and drop the chips."""
    i = 0
    for r in results:
        for face in (r.record.faces if r.chips else ()):
            face.embedding = emb[i]
            i += 1
        r.chips = []


class Scanner:
    """One scan of some folders into a library. Construct, then ``run()`` (blocking).

    ``control`` (a ``CancelToken``) may be cancelled, paused and resumed from any thread.
    """

    def __init__(self, library: str | os.PathLike, roots: Iterable[str | os.PathLike],
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
        self._missing_by_hash: dict[str, repo.IndexedPhoto] = {}
        self._missing_lock = threading.Lock()
        self._moved_ids: set[int] = set()
        self._failure: BaseException | None = None

    # -- plan ---------------------------------------------------------------------------------

    def _plan(self, conn) -> tuple[list[_Item], dict[str, repo.IndexedPhoto]]:
        model = self.backend.model_id
        index = repo.indexed_photos(conn, self.roots)
        work: list[_Item] = []
        seen: set[str] = set()
        for path, st in walk(self.roots):
            self.control.check()
            seen.add(path)
            self.summary.found += 1
            known = index.get(path)
            if (known and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns
                    and (known.status == "error" or known.scan_model == model)):
                self.summary.unchanged += 1
                continue
            work.append(_Item(path, st.st_size, st.st_mtime_ns, known))
        missing = {p: ph for p, ph in index.items() if p not in seen}
        for ph in missing.values():
            if ph.hash:
                self._missing_by_hash.setdefault(ph.hash, ph)
        return work, missing

    # -- worker: hash, decode, detect, crop ---------------------------------------------------

    def _process(self, item: _Item) -> _Result:
        self.control.check()
        backend, opts = self.backend, self.options
        rec = repo.PhotoRecord(path=item.path, size=item.size, mtime_ns=item.mtime_ns,
                               scan_model=backend.model_id)
        try:
            rec.hash = file_hash(item.path)
        except FileNotFoundError:
            return _Result(vanished=True)
        except OSError as exc:
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
                rec.faces.append(repo.FaceRecord(
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
    def _error(rec: repo.PhotoRecord, reason: str, message: str) -> repo.PhotoRecord:
        rec.status, rec.error_reason, rec.error = "error", reason, message
        return rec

    # -- stage threads ------------------------------------------------------------------------

    @property
    def _embed_in_workers(self) -> bool:
        """Embed in the decode workers (see ``FaceBackend.embed_in_workers``); the embedder thread
        then only forwards results."""
        return bool(getattr(self.backend, "embed_in_workers", False))

    def _embedder(self, inq: queue.Queue, outq: queue.Queue) -> None:
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

    def _writer(self, inq: queue.Queue, total: int, t0: float) -> None:
        conn = connect(self.library)
        s = self.summary
        prog = ScanProgress("scanning", total=total)
        last_report = 0.0
        batch: list[_Result] = []
        last_commit = time.monotonic()

        def commit() -> None:
            nonlocal batch, last_commit
            with transaction(conn):
                for r in batch:
                    if r.move:
                        repo.move_photo(conn, *r.move)
                    elif r.touch:
                        repo.touch_photo(conn, *r.touch)
                    elif r.record:
                        repo.write_photo(conn, r.record)
            batch, last_commit = [], time.monotonic()

        try:
            while True:
                try:
                    r = inq.get(timeout=0.25)
                except queue.Empty:
                    # Idle (paused, or slow photos): commit what is done so a kill loses nothing.
                    if batch:
                        commit()
                    continue
                if r is None:
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
            while inq.get() is not None:  # drain so upstream never blocks on a full queue
                pass
        finally:
            conn.close()

    # -- run ----------------------------------------------------------------------------------

    def run(self) -> ScanSummary:
        """Scan and return the summary. Raises ``LibraryError`` if the library cannot be written;
        a cancelled scan returns normally with ``summary.cancelled`` set."""
        t_start = time.monotonic()
        conn = connect(self.library)
        try:
            with transaction(conn):
                for root in self.roots:
                    repo.add_folder(conn, root)
            if self.progress:
                self.progress(ScanProgress("walking"))
            try:
                work, missing = self._plan(conn)
            except Cancelled:
                self.summary.cancelled = True
                return self.summary
            t0 = time.monotonic()
            embed_q: queue.Queue = queue.Queue(maxsize=2 * self.options.workers)
            write_q: queue.Queue = queue.Queue(maxsize=16)
            embedder = threading.Thread(target=self._embedder, args=(embed_q, write_q),
                                        name="kinfolk-embed", daemon=True)
            writer = threading.Thread(target=self._writer, args=(write_q, len(work), t0),
                                      name="kinfolk-write", daemon=True)
            embedder.start()
            writer.start()
            inflight = threading.BoundedSemaphore(2 * self.options.workers)

            def done(fut) -> None:
                inflight.release()
                if fut.cancelled():
                    return
                exc = fut.exception()
                if exc is None:
                    embed_q.put(fut.result())
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
            embed_q.put(None)
            embedder.join()
            writer.join()
            if self._failure is not None:
                raise self._failure
            self.summary.cancelled = self.control.cancelled
            if not self.summary.cancelled:
                gone = [ph.id for ph in missing.values() if ph.id not in self._moved_ids]
                repo.delete_photos(conn, gone)
                self.summary.deleted = len(gone)
            self.summary.elapsed = time.monotonic() - t0
            if self.progress:
                p = ScanProgress("done", self.summary.processed, len(work), self.summary.faces,
                                 self.summary.errors, self.summary.elapsed)
                self.progress(p)
            return self.summary
        finally:
            conn.close()
            self.summary.elapsed = self.summary.elapsed or (time.monotonic() - t_start)
