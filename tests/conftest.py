"""Shared fixtures: where the labeled real photos live (read-only; never copied into the repo)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
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
