"""Benchmark: the face grid on a 100,000-face library stays smooth while scrolling.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=app .venv/bin/python tests/bench/bench_gui.py [--faces 100000]

Builds a library with N faces (synthetic photo rows, real JPEG face crops; embeddings are not
needed), then measures in the real ``FaceGridView``/``FaceGridModel``:
- setting the model (N rows) and the first layout;
- frame time while scrolling page by page through the whole grid (each step: scroll, paint);
- thumbnails decoded (only what is on screen should load) and time until the last page is filled.
Prints one JSON object. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "app"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def build(path: Path, n_faces: int, per_photo: int = 4) -> None:
    from kinfolk.db import repo
    from kinfolk.db.connection import connect, transaction

    rng = np.random.default_rng(0)
    blobs = []
    for i in range(64):
        img = Image.fromarray(rng.integers(0, 255, (160, 160, 3), dtype=np.uint8))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85)
        blobs.append(out.getvalue())
    conn = connect(path)
    emb = np.zeros(8, np.float32)
    lm = np.zeros((5, 2), np.float32)
    n_photos = n_faces // per_photo
    for start in range(0, n_photos, 2000):
        with transaction(conn):
            for p in range(start, min(n_photos, start + 2000)):
                rec = repo.PhotoRecord(path=f"/bench/{p:07d}.jpg", size=1, mtime_ns=1, scan_model="b")
                rec.faces = [repo.FaceRecord(box=[k * 50, 0, k * 50 + 40, 40], landmarks=lm,
                                             score=0.9, quality=0.5, embedding=emb,
                                             thumbnail=blobs[(p * per_photo + k) % 64])
                             for k in range(per_photo)]
                repo.write_photo(conn, rec)
    conn.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--size", default="1200x800")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))

    from PySide6.QtWidgets import QApplication

    from kinfolk.db.connection import connect
    from kinfolk.db import repo
    from kinfolk.gui.face_grid import FaceGridModel, FaceGridView
    from kinfolk.gui.tasks import TaskRunner

    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="kinfolk-bench-"))
    lib = tmp / "lib.sqlite"
    t0 = time.perf_counter()
    build(lib, args.faces)
    t_build = time.perf_counter() - t0

    conn = connect(lib)
    t0 = time.perf_counter()
    ids = repo.face_ids(conn)
    t_ids = time.perf_counter() - t0
    conn.close()

    runner = TaskRunner()
    model = FaceGridModel(runner, lib)
    view = FaceGridView()
    view.resize(w, h)
    view.setModel(model)
    view.show()
    t0 = time.perf_counter()
    model.set_face_ids(ids)
    app.processEvents()
    view.viewport().repaint()
    t_set = time.perf_counter() - t0

    def settle(limit: float = 10.0) -> float:
        t = time.perf_counter()
        while model.loading and time.perf_counter() - t < limit:
            app.processEvents()
            time.sleep(0.001)
        return time.perf_counter() - t

    settle()
    bar = view.verticalScrollBar()
    frames = []
    steps = 0
    while bar.value() < bar.maximum():
        t = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().repaint()  # paint now, as a real frame would
        app.processEvents()
        frames.append(time.perf_counter() - t)
        steps += 1
    loads_scrolled = model.loads
    t_fill = settle()
    runner.shutdown()
    out = {
        "faces": len(ids),
        "viewport": args.size,
        "build_library_s": round(t_build, 1),
        "read_face_ids_s": round(t_ids, 3),
        "set_model_and_first_paint_s": round(t_set, 3),
        "scroll_pages": steps,
        "frame_ms_median": round(1000 * statistics.median(frames), 2),
        "frame_ms_p95": round(1000 * sorted(frames)[int(0.95 * len(frames))], 2),
        "frame_ms_max": round(1000 * max(frames), 2),
        "thumbnails_decoded_while_scrolling": loads_scrolled,
        "last_page_filled_after_s": round(t_fill, 3),
        "thumbnails_decoded_total": model.loads,
    }
    print(json.dumps(out, indent=2))
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
