"""Shared fixtures: where the labeled real photos live (read-only; never copied into the repo)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The labeled photo set (``$KINFOLK_FACES``, default ``<repo>/../shared/data/faces``)."""
    path = Path(os.environ.get("KINFOLK_FACES", REPO.parent / "shared" / "data" / "faces"))
    if not (path / "labels.csv").is_file():
        pytest.skip(f"labeled photos not found at {path}")
    return path


@pytest.fixture(scope="session")
def labels(faces_dir: Path) -> dict[str, str]:
    """``labels.csv`` as {relative file: identity} (``none``, ``group`` and ``a;b`` kept as is)."""
    with open(faces_dir / "labels.csv", newline="") as f:
        return {row["file"]: row["identity"] for row in csv.DictReader(f)}
