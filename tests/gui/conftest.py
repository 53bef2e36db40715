"""GUI test fixtures: offscreen Qt, isolated QSettings, a real small library, and a leak check.

Every GUI test fails if it leaves work running: a task still active in any ``TaskRunner`` or in the
global ``QThreadPool``, or a Python thread named ``kinfolk-*`` (the scanner's workers) still alive
shortly after the test (the idea of napari's leaked-QThread fixture).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import shutil  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool  # noqa: E402

from kinfolk.gui import tasks  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """QSettings in a temp folder, so tests never read or write the user's settings."""
    d = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(d))
    QCoreApplication.setOrganizationName("KinfolkTests")
    QCoreApplication.setApplicationName("KinfolkTests")
    monkeypatch.setenv("HOME", str(d))  # the welcome dialog offers ~/Pictures if it exists
    yield


def _leaks() -> list[str]:
    out = []
    for r in tasks.live_runners():
        try:
            active = r.pool.activeThreadCount()
        except RuntimeError:  # C++ object already deleted: nothing can run in it
            continue
        if active or r.active:
            out.append(f"TaskRunner with {active} active thread(s), tasks {r.active}")
    if QThreadPool.globalInstance().activeThreadCount():
        out.append(f"global QThreadPool: {QThreadPool.globalInstance().activeThreadCount()} active")
    out += [f"thread {t.name}" for t in threading.enumerate()
            if t.name.startswith("kinfolk-") and t.is_alive()]
    return out


@pytest.fixture(autouse=True)
def no_leaked_threads(qapp):
    """Fail the test if background work outlives it (after a 3 s grace period)."""
    yield
    deadline = time.monotonic() + 3.0
    leaks = _leaks()
    while leaks and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.05)
        leaks = _leaks()
    if leaks:
        pytest.fail("background work leaked from the test: " + "; ".join(leaks))


def pick_photos(labels: dict[str, str], per_identity: int = 3, identities: int = 3) -> list[str]:
    """``per_identity`` single-face JPEG photos of each of the ``identities`` best-represented people."""
    by_id: dict[str, list[str]] = {}
    for f, ident in sorted(labels.items()):
        if ident in ("none", "group") or ";" in ident or not f.lower().endswith((".jpg", ".jpeg")):
            continue
        by_id.setdefault(ident, []).append(f)
    best = sorted(by_id, key=lambda k: (-len(by_id[k]), k))[:identities]
    return [f for k in best for f in by_id[k][:per_identity]]


@pytest.fixture(scope="session")
def pick_photos_fn():
    return pick_photos


@pytest.fixture
def many_photos(tmp_path, faces_dir, labels) -> Path:
    """A temp folder with ~100 real photos of 12 people (long enough a scan to pause and cancel)."""
    d = tmp_path / "many"
    d.mkdir()
    for i, f in enumerate(pick_photos(labels, per_identity=10, identities=12)):
        shutil.copy(faces_dir / f, d / f"{i:03d}_{f.replace('/', '_')}")
    return d


@pytest.fixture
def photo_folder(tmp_path, faces_dir, labels) -> Path:
    """A temp folder with 8 real photos of 3 people (copied from the labeled set) and one broken
    file (a zero-byte .jpg)."""
    d = tmp_path / "photos"
    d.mkdir()
    chosen = pick_photos(labels)[:8]
    for f in chosen:
        shutil.copy(faces_dir / f, d / f.replace("/", "_"))
    (d / "broken.jpg").write_bytes(b"")
    return d


@pytest.fixture
def session_factory(tmp_path, models_dir):
    """Builds ``Session`` objects on a temp library; closes them after the test."""
    from kinfolk.gui.session import Session

    made = []

    def make(name: str = "library.sqlite", **kw) -> Session:
        s = Session(tmp_path / name, models_dir, workers=2, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture(scope="session")
def grouped_template(tmp_path_factory, faces_dir, labels, models_dir):
    """A library file scanned (real models, 12 real photos of 3 people, 4 each) and grouped, once
    per test session; each test works on a copy. Returns (library path, {photo path: identity})."""
    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.clustering.grouping import organize
    from kinfolk.core.scan.scanner import ScanOptions, Scanner
    from kinfolk.db.connection import connect

    root = tmp_path_factory.mktemp("grouped")
    photos = root / "photos"
    photos.mkdir()
    truth = {}
    for f in pick_photos(labels, per_identity=4, identities=3):
        dst = photos / f.replace("/", "_")
        shutil.copy(faces_dir / f, dst)
        truth[str(dst)] = labels[f]
    lib = root / "template.sqlite"
    backend = make_backend(models_dir=models_dir)
    Scanner(lib, [photos], backend, ScanOptions(workers=2)).run()
    conn = connect(lib)
    organize(conn)
    conn.close()
    return lib, truth


@pytest.fixture
def win(qtbot, tmp_path, grouped_template, models_dir, show_window):
    """The main window on a copy of the grouped library, people loaded; ``win.truth`` maps photo
    paths to their true identity."""
    from kinfolk.gui.session import Session

    lib, truth = grouped_template
    copy = tmp_path / "library.sqlite"
    shutil.copy(lib, copy)
    session = Session(copy, models_dir, workers=2)
    session.people._rematch_timer.setInterval(200)  # tests need not wait out the user's pause
    w = show_window(session)
    data = session.people
    qtbot.waitUntil(lambda: data.generation > 0 and not data.busy, timeout=20000)
    w.truth = truth
    return w


@pytest.fixture
def show_window(qtbot):
    """``show_window(session)``: the main window on ``session``, shown and exposed; closed after
    the test."""
    from kinfolk.gui.main_window import MainWindow

    opened = []

    def show(session):
        w = MainWindow(session, QSettings())
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        opened.append(w)
        return w

    yield show
    for w in opened:
        w.close()


@pytest.fixture
def window(show_window, session_factory):
    """The main window on a new library of the session factory's photos."""
    return show_window(session_factory())
