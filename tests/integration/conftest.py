"""Fixtures for tests with the real models (``$KINFOLK_MODELS``) on the real labeled photos."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TEST_PACK = "scrfd_mbf512"  # det_500m + a 512-d MobileFaceNet: the ArcFace code path


@pytest.fixture(scope="session")
def onnx_backend(models_dir):
    from kinfolk.core.faces.backend_choice import make_backend

    return make_backend("onnx", pack=TEST_PACK, models_dir=models_dir)


def copy_photos(faces_dir: Path, labels: dict[str, str], dest: Path, n: int | None = None,
                where=lambda ident: True) -> list[Path]:
    """Copy the first ``n`` labeled photos matching ``where`` into ``dest`` (a tmp folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for rel, ident in sorted(labels.items()):
        if not where(ident):
            continue
        target = dest / rel.replace("/", "_")
        shutil.copyfile(faces_dir / rel, target)
        out.append(target)
        if n and len(out) >= n:
            break
    return out
