"""The face grid loads only what is on screen, caches it, and grows in place while a scan runs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QModelIndex

from kinfolk.db import faces as db_faces
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import connect, transaction
from kinfolk.gui.widgets.face_grid import FaceGridModel, FaceGridView, PixmapCache
from kinfolk.gui.tasks import TaskRunner


def _jpeg(i: int) -> bytes:
    rng = np.random.default_rng(i)
    img = Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def make_library(path, photos: int, faces_per_photo: int) -> list[int]:
    """A library with synthetic photo rows and real JPEG face crops (ids returned in order)."""
    conn = connect(path)
    blobs = [_jpeg(i) for i in range(16)]
    with transaction(conn):
        for p in range(photos):
            rec = db_photos.PhotoRecord(path=f"/photos/{p:06d}.jpg", size=1, mtime_ns=1, scan_model="test")
            for k in range(faces_per_photo):
                rec.faces.append(db_photos.FaceRecord(
                    box=[k * 50, 0, k * 50 + 40, 40], landmarks=np.zeros((5, 2), np.float32),
                    score=0.9, quality=0.5, embedding=np.zeros(4, np.float32),
                    thumbnail=blobs[(p * faces_per_photo + k) % len(blobs)]))
            db_photos.write_photo(conn, rec)
    ids = db_faces.face_ids(conn)
    conn.close()
    return ids


@pytest.fixture
def runner(qapp):
    r = TaskRunner()
    yield r
    r.shutdown()


def test_lru_cache_evicts_least_recently_used(qapp):
    from PySide6.QtGui import QPixmap

    c = PixmapCache(2)
    c.put(1, QPixmap(1, 1))
    c.put(2, QPixmap(1, 1))
    assert c.get(1) is not None  # 1 is now the most recent
    c.put(3, QPixmap(1, 1))
    assert 2 not in c and 1 in c and 3 in c and len(c) == 2


def test_only_visible_faces_are_loaded(qtbot, tmp_path, runner):
    ids = make_library(tmp_path / "lib.sqlite", photos=500, faces_per_photo=6)
    assert len(ids) == 3000
    model = FaceGridModel(runner, tmp_path / "lib.sqlite", icon_size=64)
    view = FaceGridView(icon_size=64)
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_face_ids(ids)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: model.loads > 0 and not model.loading, timeout=5000)
    visible = _visible_rows(view, model)
    assert visible, "nothing visible?"
    assert all(model.face_ids[r] in model.cache for r in visible)
    first_loads = model.loads
    assert first_loads <= len(visible) + 48, f"{first_loads} loaded for {len(visible)} visible"

    view.scrollToBottom()
    qtbot.waitUntil(lambda: not model.loading and all(
        model.face_ids[r] in model.cache for r in _visible_rows(view, model)), timeout=5000)
    assert model.face_ids[-1] in model.cache
    assert model.loads < 4 * (len(visible) + 48), "scrolling to the end loaded what flew past"
    assert model.loads < len(ids) // 10


def test_grid_grows_in_place(qtbot, tmp_path, runner):
    ids = make_library(tmp_path / "lib.sqlite", photos=20, faces_per_photo=2)
    model = FaceGridModel(runner, tmp_path / "lib.sqlite")
    model.set_face_ids(ids[:10])
    resets, inserts = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda parent, a, b: inserts.append((a, b)))
    model.set_face_ids(ids)
    assert inserts == [(10, len(ids) - 1)] and not resets
    assert model.rowCount() == len(ids)
    model.set_face_ids(ids[5:])  # not an extension: reset
    assert resets and model.rowCount() == len(ids) - 5
    assert model.data(model.index(0), 0x0100 + 1) == ids[5]  # FaceIdRole
    assert model.rowCount(model.index(0)) == 0 and model.data(QModelIndex()) is None


def test_missing_thumbnail_is_not_requested_again(qtbot, tmp_path, runner):
    ids = make_library(tmp_path / "lib.sqlite", photos=2, faces_per_photo=1)
    model = FaceGridModel(runner, tmp_path / "lib.sqlite")
    model.set_face_ids(ids + [999_999])  # no such face: no crop
    from PySide6.QtCore import Qt

    for r in range(model.rowCount()):
        model.data(model.index(r), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: not model.loading, timeout=5000)
    assert model.loads == 2
    model.data(model.index(2), Qt.ItemDataRole.DecorationRole)
    assert not model.loading


def _visible_rows(view, model) -> list[int]:
    rect = view.viewport().rect()
    out = []
    for r in range(model.rowCount()):
        vr = view.visualRect(model.index(r))
        if vr.intersects(rect):
            out.append(r)
        elif out:
            break
    return out
