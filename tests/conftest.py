"""Shared fixtures: where the labeled real photos live (read-only; never copied into the repo)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# -- running the whole suite on two processes (pytest-xdist) -----------------------------------
# `pytest` with no paths runs the suite in 2 worker processes (pyproject: `-n auto`): much of it
# keeps one core busy at most (dlib holds the GIL; PyInstaller, pip, subprocesses, Qt event loops
# wait). A test file is one unit of work, so its module and session fixtures (decoded photos,
# detections, embeddings) are computed once; tests/packaging is one unit (its tests share one built
# wheel and its venv). The longest units start first so that neither worker idles at the end.
LONGEST_FIRST = ["tests/packaging/", "tests/integration/test_accuracy.py",
                 "tests/integration/test_dlib_backend.py", "tests/integration/test_onnx_backend.py",
                 "tests/gui/test_main_window.py", "tests/gui/test_review.py",
                 "tests/integration/test_scan_lock.py", "tests/integration/test_scanner.py",
                 "tests/integration/test_cli.py", "tests/integration/test_batching.py"]


def _unit_of_work(nodeid: str) -> tuple[int, str]:
    """(rank, name) of the unit of work a test belongs to: the longest first."""
    for rank, prefix in enumerate(LONGEST_FIRST):
        if nodeid.startswith(prefix):
            return rank, prefix
    return len(LONGEST_FIRST), nodeid.split("::")[0]


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: 2 workers for the whole suite on 2 or more cores; a run of chosen files or tests
    stays in one process (starting workers would cost it more than it saves). Not more than 2:
    each worker loads the models and builds the session's libraries anew."""
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.keyword
    return 2 if whole_suite and (os.cpu_count() or 1) >= 2 else 0


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByUnitOfWork(LoadScopeScheduling):
        """Whole units of work (see ``_unit_of_work``) to a worker, in collection order."""

        def __init__(self, config, log=None):
            super().__init__(config, log)
            config.option.loadscopereorder = False  # keep the longest-first order

        def _split_scope(self, nodeid: str) -> str:
            return _unit_of_work(nodeid)[1]

    return ByUnitOfWork(config, log)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the order the scheduler hands the units out in
        items.sort(key=lambda item: _unit_of_work(item.nodeid)[0])  # stable: file order kept


def shared_path(env: str, default: Path, probe: str) -> Path:
    """Where a piece of ``../shared`` is: ``$env``, else ``default``. The one way tests find data.

    Missing data skips the test on a developer's machine but fails it when ``CI`` is set, so a green
    CI run always means the real models and photos were used."""
    path = Path(os.environ.get(env, default)).resolve()
    if not (path / probe).is_file():
        msg = f"{probe} not found in {path} (set {env} to the folder that holds it)"
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session", autouse=True)
def _session_cache_home(tmp_path_factory):
    """One user cache folder for the whole test session (``XDG_CACHE_HOME``, inherited by the
    ``kinfolk`` processes the tests start): the rewritten model graphs (core/graph_rewrite.py) are
    made once per session with the code under test, then found by every test — also by the GUI
    tests, which give each test a fresh ``HOME`` — and the developer's own cache is never read or
    written. Tests that need an empty cache set their own (test_privacy, tests/packaging)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # one cache for all workers (writes are atomic)
        cache = base.parent / "cache-home"
        cache.mkdir(exist_ok=True)
    else:
        cache = tmp_path_factory.mktemp("cache-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(cache))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The labeled photo set (``$KINFOLK_FACES``, default ``<repo>/../shared/data/faces``)."""
    return shared_path("KINFOLK_FACES", REPO.parent / "shared" / "data" / "faces", "labels.csv")


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The real model files (``$KINFOLK_MODELS``, default ``<repo>/../shared/models``); exported in
    ``KINFOLK_MODELS`` so that code under test finds the packs."""
    path = shared_path("KINFOLK_MODELS", REPO.parent / "shared" / "models", "det_500m.onnx")
    os.environ["KINFOLK_MODELS"] = str(path)
    return path


@pytest.fixture(scope="session")
def labels(faces_dir: Path) -> dict[str, str]:
    """``labels.csv`` as {relative file: identity} (``none``, ``group`` and ``a;b`` kept as is)."""
    with open(faces_dir / "labels.csv", newline="") as f:
        return {row["file"]: row["identity"] for row in csv.DictReader(f)}

