"""One scan of a library at a time, across processes (real scans of real photos)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest

from kinfolk.core.scan.scan_lock import ScanInProgressError, ScanLock
from kinfolk.db.connection import connect

from .conftest import TEST_PACK, copy_photos


def _scan(lib, models, pics, *extra):
    return subprocess.Popen([sys.executable, "-m", "kinfolk.cli.main", "--library", str(lib),
                             "--models", str(models), "scan", str(pics), "--pack", TEST_PACK,
                             "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def pics(tmp_path, faces_dir, labels):
    return copy_photos(faces_dir, labels, tmp_path / "pics", 24,
                       where=lambda i: i not in ("none",) and ";" not in i)[0].parent


def test_a_second_scan_is_refused_with_who_holds_the_library(tmp_path, pics, models_dir):
    lib = tmp_path / "lib.sqlite"
    with ScanLock(lib, "the Kinfolk app"):  # another program is scanning this library
        p = _scan(lib, models_dir, pics)
        _, err = p.communicate(timeout=300)
    assert p.returncode == 1
    assert err.strip().count("\n") <= 1 and "another scan of this library is running" in err
    assert "the Kinfolk app, pid" in err
    # Nothing was written by the refused scan.
    assert connect(lib).execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0


def test_waiting_scan_starts_when_the_other_ends(tmp_path, pics, models_dir):
    lib = tmp_path / "lib.sqlite"
    lock = ScanLock(lib, "kinfolk scan")
    lock.acquire()
    lines: list[str] = []
    waiting = threading.Event()

    def read_stderr(stream):
        for line in stream:
            lines.append(line)
            if line.startswith("Waiting for another scan"):
                waiting.set()

    try:
        p = _scan(lib, models_dir, pics, "--wait")
        reader = threading.Thread(target=read_stderr, args=(p.stderr,), daemon=True)
        reader.start()
        # It loads the models and reaches the lock, says so, and then waits (it polls every 0.25 s).
        assert waiting.wait(120) or p.poll() is not None, "the scan never said it was waiting"
        time.sleep(1.5)
        assert p.poll() is None, "".join(lines)
        assert connect(lib).execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0
    finally:
        lock.release()
    p.wait(timeout=300)
    reader.join(30)
    err = "".join(lines)
    assert p.returncode == 0, err
    assert "Waiting for another scan of this library to finish (kinfolk scan, pid" in err
    assert "24 photos (24 scanned" in err


def test_two_scans_started_together_do_the_work_once(tmp_path, pics, models_dir):
    lib = tmp_path / "lib.sqlite"
    procs = [_scan(lib, models_dir, pics, "--wait") for _ in range(2)]
    errs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    scanned = [int(re.search(r"\((\d+) scanned", e).group(1)) for e in errs]
    assert sorted(scanned) == [0, 24], errs  # one did it all; the other found it done
    ids = [r[0] for r in connect(lib).execute("SELECT id FROM faces ORDER BY id")]
    assert ids == list(range(1, len(ids) + 1))  # no face written twice (ids would have moved)


def test_lock_is_exclusive_in_one_process_and_released_on_exit(tmp_path):
    lib = tmp_path / "lib.sqlite"
    with ScanLock(lib, "first"):
        with pytest.raises(ScanInProgressError, match="first, pid"):
            ScanLock(lib).acquire()
    with ScanLock(lib):  # free again
        pass
    # A holder that dies (kill -9) releases it: the OS drops the lock with the process.
    code = ("import sys, time; from kinfolk.core.scan.scan_lock import ScanLock; "
            "ScanLock(sys.argv[1], 'victim').acquire(); print('held', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code, str(lib)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    with pytest.raises(ScanInProgressError, match="victim"):
        ScanLock(lib).acquire()
    p.kill()
    p.wait()
    with ScanLock(lib):
        pass


_OPENED: list[str] | None = None


def _record_opens(event, args):
    if _OPENED is not None and event == "open" and isinstance(args[0], str):
        _OPENED.append(args[0])


def test_scanning_the_folder_that_holds_the_library_never_opens_its_files(tmp_path, pics,
                                                                          onnx_backend):
    """A library kept inside a photo folder: the scan's walk must not open it to sniff its type
    (closing that descriptor would drop the process's SQLite locks, as a file dialog did)."""
    global _OPENED
    from kinfolk.core.scan.scanner import Scanner
    from kinfolk.db.connection import library_files

    lib = pics / "library.sqlite"
    app_conn = connect(lib)  # the app has it open meanwhile
    app_conn.execute("SELECT COUNT(*) FROM photos").fetchone()
    sys.addaudithook(_record_opens)  # audit hooks cannot be removed; this one is off unless armed
    _OPENED = []
    try:
        s = Scanner(lib, [pics], onnx_backend).run()
    finally:
        opened, _OPENED = _OPENED, None
    assert s.processed == 24 and s.errors == 0
    sqlite_files = library_files(lib) - {str(lib) + "-scan.lock"}  # the lock is the scan's own (flock)
    assert not set(opened) & sqlite_files, sorted(set(opened) & sqlite_files)


def test_first_scan_creates_the_library_folder(tmp_path, pics, models_dir):
    lib = tmp_path / "new" / "folder" / "lib.sqlite"  # e.g. the default place on first use
    _, err = (p := _scan(lib, models_dir, pics)).communicate(timeout=300)
    assert p.returncode == 0, err
    assert lib.exists()
