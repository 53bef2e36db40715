"""Issue 13, item 2: no hang, ever. Each pipeline stage's failure ends the scan promptly with a clear
message and keeps what was committed. Every scan here runs under a watchdog (a thread joined with
a timeout): the old writer waited forever for an end marker it had already consumed when its last
commit failed, and a dead embedder left the decode workers blocked on a full queue.

The failures are injected at the stage boundary (a record that cannot be encoded, a connection
whose file cannot grow, a held write lock, a raising decoder, worker or recognizer); the photos and
models are real.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from kinfolk.core.scan import scanner as scanner_mod
from kinfolk.core.scan.scanner import ScanError, ScanOptions, Scanner
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import LibraryError, LibraryFullError, connect

from .conftest import copy_photos

WATCHDOG = 60.0


def run_with_watchdog(scanner: Scanner, timeout: float = WATCHDOG):
    """(summary, exception, seconds) of ``scanner.run()``; fails the test if it does not end."""
    out: dict = {}

    def target():
        try:
            out["summary"] = scanner.run()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            out["error"] = exc

    t0 = time.monotonic()
    t = threading.Thread(target=target, daemon=True, name="scan-under-watchdog")
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"the scan hung (still running after {timeout:.0f} s)"
    return out.get("summary"), out.get("error"), time.monotonic() - t0


@pytest.fixture
def library(tmp_path, faces_dir, labels, onnx_backend):
    """A library with 4 committed photos, and 3 new ones added to the folder since."""
    pics = tmp_path / "pics"
    copy_photos(faces_dir, labels, pics, 4)
    lib = tmp_path / "lib.sqlite"
    Scanner(lib, [pics], onnx_backend, ScanOptions(workers=2)).run()
    new = tmp_path / "new"
    for p in copy_photos(faces_dir, labels, new, 7)[4:]:
        p.rename(pics / ("new-" + p.name))
    return lib, pics


def committed(lib) -> int:
    return connect(lib).execute("SELECT COUNT(*) FROM photos WHERE status = 'ok'").fetchone()[0]


def test_an_unencodable_record_at_the_last_commit_ends_the_scan(library, onnx_backend):
    lib, pics = library

    class BadRecord(Scanner):
        def _process(self, item):
            r = super()._process(item)
            if r.record is not None:
                r.record.taken_at_source = "exif\ud800"  # sqlite3 cannot encode a lone surrogate
            return r

    _, err, _ = run_with_watchdog(BadRecord(lib, [pics], onnx_backend, ScanOptions(workers=2)))
    assert isinstance(err, ScanError) and "UnicodeEncodeError" in str(err)
    assert "kept" in str(err)
    assert committed(lib) == 4


def test_a_full_disk_ends_the_scan_with_a_clear_message(library, onnx_backend, monkeypatch):
    lib, pics = library

    def connect_full(path, *a, **kw):  # the library file cannot grow any more: SQLITE_FULL
        conn = connect(path, *a, **kw)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(scanner_mod, "connect", connect_full)
    _, err, _ = run_with_watchdog(Scanner(lib, [pics], onnx_backend, ScanOptions(workers=2)))
    assert isinstance(err, LibraryFullError) and "full" in str(err)
    assert committed(lib) == 4
    assert connect(lib).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_write_lock_held_elsewhere_ends_the_scan(library, onnx_backend):
    lib, pics = library
    release = threading.Event()
    holding = threading.Event()

    def hold_lock():
        other = sqlite3.connect(lib, timeout=1)
        other.execute("BEGIN IMMEDIATE")
        holding.set()
        release.wait(40)
        other.rollback()
        other.close()

    def progress(p):  # once the photos are being written, another program takes the write lock
        if p.phase == "scanning" and not holding.is_set():
            threading.Thread(target=hold_lock, daemon=True).start()
            holding.wait(5)

    s = Scanner(lib, [pics], onnx_backend, ScanOptions(workers=2), progress=progress)
    try:
        _, err, secs = run_with_watchdog(s, 40)
    finally:
        release.set()
    assert isinstance(err, LibraryError) and "busy" in str(err), err
    assert secs < 30
    assert committed(lib) >= 4


def test_a_decoder_exception_is_a_row_not_a_stop(library, onnx_backend, monkeypatch):
    lib, pics = library
    real = scanner_mod.load_for_detection

    def flaky_decoder(path, *a, **kw):
        if "new-" in str(path):
            raise RuntimeError("decoder exploded")
        return real(path, *a, **kw)

    monkeypatch.setattr(scanner_mod, "load_for_detection", flaky_decoder)
    s, err, _ = run_with_watchdog(Scanner(lib, [pics], onnx_backend, ScanOptions(workers=2)))
    assert err is None and s.errors == 3
    reasons = {r["error_reason"] for r in db_photos.photos(connect(lib)) if r["status"] == "error"}
    assert reasons == {"internal"}
    # "internal" failures are retried by the next scan, even though the files did not change.
    monkeypatch.setattr(scanner_mod, "load_for_detection", real)
    s, err, _ = run_with_watchdog(Scanner(lib, [pics], onnx_backend, ScanOptions(workers=2)))
    assert err is None and s.processed == 3 and s.errors == 0 and committed(lib) == 7


def test_a_crashing_worker_ends_the_scan(library, onnx_backend):
    lib, pics = library

    class CrashingWorker(Scanner):
        def _process(self, item):
            if "new-" in item.path:
                raise RuntimeError("worker crashed")
            return super()._process(item)

    _, err, _ = run_with_watchdog(CrashingWorker(lib, [pics], onnx_backend, ScanOptions(workers=2)))
    assert isinstance(err, ScanError) and "worker crashed" in str(err)
    assert committed(lib) == 4


def test_a_crashing_recognizer_ends_the_scan(tmp_path, faces_dir, labels, onnx_backend):
    """More photos than the queues hold: the old pipeline left workers blocked on a full queue."""
    pics = tmp_path / "pics"
    copy_photos(faces_dir, labels, pics, 24, where=lambda i: i not in ("none",))

    class BrokenEmbedder:
        def __init__(self, inner):
            self.inner, self.calls = inner, 0

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def embed(self, chips):
            self.calls += 1
            if self.calls >= 2:
                raise RuntimeError("recognizer session died")
            return self.inner.embed(chips)

    lib = tmp_path / "lib.sqlite"
    s = Scanner(lib, [pics], BrokenEmbedder(onnx_backend), ScanOptions(workers=2, embed_batch=1))
    _, err, _ = run_with_watchdog(s)
    assert isinstance(err, ScanError) and "recognizer session died" in str(err)
    assert connect(lib).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
