"""Benchmark: the GUI stays responsive on a big library and during a real scan.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_gui.py [--faces 100000]
        [--only grid,people,edit,scroll,scan] [--photos 100]

Parts (each prints one JSON object; not collected by pytest):

- ``grid``: the bare ``FaceGridView`` on N faces (synthetic photo rows, real JPEG crops): time to set
  the model and paint, frame time while scrolling page by page (scroll + immediate repaint), how many
  thumbnails were decoded (only what is on screen should be).
- ``people``: the real ``MainWindow`` on a library of N faces in ~N/20 unnamed groups plus 200 named
  people with 100 faces each and 1,000 suggestions (rows inserted with SQL: random unit 512-d
  embeddings, tiny JPEG crops). Time until the People view lists everyone, and until the covers on
  screen are painted; the worst event-loop stall meanwhile.
- ``edit``: in that window, naming the largest unnamed group (the name field, Enter): the edit, then
  matching every unassigned face against the named people in the background, then the reload.
- ``scroll``: in that window, the Library view's grid of all N faces is scrolled a page per 16 ms
  frame, then by jumps (as when dragging the scroll bar), through the event loop (real paints).
- ``scan``: the real window on a new library; ~``--photos`` photos copied from the labeled set are
  scanned with the real models (best installed pack, the app's default workers) and grouped, while
  the Library view follows live and its face grid is scrolled.

Stalls are measured by a ``QTimer`` firing every 10 ms (``Qt.PreciseTimer``): its lateness (gap
between two ticks minus 10 ms) is how long the event loop could not react to input or paint.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
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

MODEL = "faceplugin_mbf512"


def jpeg_blobs(n: int = 64, side: int = 160, quality: int = 85) -> list[bytes]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        img = Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        out.append(buf.getvalue())
    return out


def build_grid_library(path: Path, n_faces: int, per_photo: int = 4) -> None:
    """N faces through ``db.photos.write_photo`` (what the scanner does), real JPEG crops."""
    from kinfolk.db import photos as db_photos
    from kinfolk.db.connection import connect, transaction

    blobs = jpeg_blobs()
    conn = connect(path)
    emb = np.zeros(8, np.float32)
    lm = np.zeros((5, 2), np.float32)
    n_photos = n_faces // per_photo
    for start in range(0, n_photos, 2000):
        with transaction(conn):
            for p in range(start, min(n_photos, start + 2000)):
                rec = db_photos.PhotoRecord(path=f"/bench/{p:07d}.jpg", size=1, mtime_ns=1, scan_model="b")
                rec.faces = [db_photos.FaceRecord(box=[k * 50, 0, k * 50 + 40, 40], landmarks=lm,
                                                  score=0.9, quality=0.5, embedding=emb,
                                                  thumbnail=blobs[(p * per_photo + k) % 64])
                             for k in range(per_photo)]
                db_photos.write_photo(conn, rec)
    conn.close()


def build_people_library(path: Path, n_faces: int, people: int = 200, per_person: int = 100,
                         group_size: int = 15, suggestions: int = 1000, dim: int = 512) -> dict:
    """A big organized library inserted with SQL: ``people`` named people with ``per_person``
    confirmed faces each, the rest of the faces in unnamed groups of ``group_size`` on average
    (sizes vary), 5 % of faces ungrouped, ``suggestions`` pending suggestions; 4 faces a photo,
    random unit embeddings, tiny JPEG crops (40×40)."""
    from kinfolk.db.connection import connect, transaction

    rng = np.random.default_rng(1)
    blobs = jpeg_blobs(64, 40, 70)
    conn = connect(path)
    per_photo = 4
    n_photos = (n_faces + per_photo - 1) // per_photo
    named = people * per_person
    rest = n_faces - named
    grouped = int(rest * 0.95)
    n_groups = max(1, grouped // group_size)
    # Group sizes: a long tail (a few big groups, many small), as real libraries have.
    sizes = rng.zipf(1.6, n_groups).clip(2, 2000).astype(float)
    sizes = np.maximum(2, np.round(sizes / sizes.sum() * grouped)).astype(int)
    cluster_of = np.resize(np.repeat(np.arange(1, n_groups + 1), sizes), grouped)
    with transaction(conn):
        conn.executemany(
            "INSERT INTO photos(id, path, size, mtime_ns, status, width, height, taken_at, "
            "taken_at_source, scan_model) VALUES (?, ?, 1, 1, 'ok', 4000, 3000, ?, 'exif', ?)",
            [(i + 1, f"/bench/{i:07d}.jpg", f"20{10 + i % 14:02d}-{1 + i % 12:02d}-"
              f"{1 + i % 28:02d}T12:00:00", MODEL) for i in range(n_photos)])
        conn.executemany("INSERT INTO persons(id, name) VALUES (?, ?)",
                         [(p + 1, f"Person {p + 1:03d}") for p in range(people)])
    lm = np.zeros((5, 2), np.float32).tobytes()
    fid = 0
    for start in range(0, n_faces, 10000):
        rows, thumbs = [], []
        block = rng.standard_normal((min(10000, n_faces - start), dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        for j, e in enumerate(block):
            i = start + j
            fid += 1
            photo = i // per_photo + 1
            k = i % per_photo
            person, state, cluster = None, "unassigned", None
            if i < named:
                person, state = i // per_person + 1, "confirmed"
            elif i - named < grouped:
                cluster = int(cluster_of[i - named])
            rows.append((fid, photo, 100 + k * 600, 100, 400 + k * 600, 400, lm, 0.9,
                         float(rng.uniform(0.3, 1.0)), MODEL, e.tobytes(), cluster, person, state))
            thumbs.append((fid, blobs[i % 64]))
        with transaction(conn):
            conn.executemany("INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, score, "
                             "quality, model_id, embedding, cluster_id, person_id, state) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            conn.executemany("INSERT INTO thumbnails(face_id, jpeg) VALUES (?, ?)", thumbs)
    unassigned = np.arange(named + grouped + 1, n_faces + 1)
    picks = rng.choice(unassigned, min(suggestions, len(unassigned)), replace=False)
    evidence = json.dumps({"score": 0.4, "runner_up": 0.2, "neighbours": [
        {"face": 1, "person": 1, "similarity": 0.5}], "thresholds": {"auto": 0.46, "suggest": 0.35,
                                                                     "margin": 0.05}})
    with transaction(conn):
        conn.executemany("INSERT INTO suggestions(face_id, person_id, similarity, evidence) "
                         "VALUES (?, ?, ?, ?)",
                         [(int(f), int(rng.integers(1, people + 1)), float(rng.uniform(0.35, 0.45)),
                           evidence) for f in picks])
    conn.close()
    return {"faces": n_faces, "photos": n_photos, "people": people, "groups": int(n_groups),
            "suggestions": len(picks)}


class StallMonitor:
    """A 10 ms ``QTimer``; its lateness is the time the event loop was blocked."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self.worst: list[tuple[float, float]] = []  # (lateness ms, seconds after start), top 5
        self._last: float | None = None
        self._t0 = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            late = max(0.0, (now - self._last) * 1000 - self.interval)
            self.late.append(late)
            if late > 30:
                self.worst = sorted(self.worst + [(round(late, 1), round(self._last - self._t0, 2))],
                                    reverse=True)[:5]
        self._last = now

    def start(self) -> "StallMonitor":
        self.late, self.worst, self._last = [], [], None
        self._t0 = time.perf_counter()
        self.timer.start()
        return self

    def stop(self) -> dict:
        self.timer.stop()
        late = sorted(self.late) or [0.0]
        return {"ticks": len(self.late), "worst_stall_ms": round(late[-1], 1),
                "p99_stall_ms": round(late[int(0.99 * (len(late) - 1))], 1),
                "median_stall_ms": round(statistics.median(late), 1),
                "stalls_over_50ms": sum(x > 50 for x in late),
                "stalls_over_100ms": sum(x > 100 for x in late),
                "worst_stalls_ms_at_s": self.worst}


def pump_until(app, cond, timeout: float) -> float:
    t0 = time.perf_counter()
    while not cond():
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("gave up waiting")
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - t0


def visible_rows(view) -> list[int]:
    model = view.model()
    rect = view.viewport().rect()
    from PySide6.QtCore import QPoint

    first = view.indexAt(rect.topLeft() + QPoint(4, 4))
    out = []
    r = max(0, first.row())
    while r < model.rowCount() and view.visualRect(model.index(r)).intersects(rect):
        out.append(r)
        r += 1
    return out


# ----------------------------------------------------------------------------------------- parts

def bench_grid(app, tmp: Path, n_faces: int, size: tuple[int, int]) -> dict:
    from kinfolk.db import faces as db_faces
    from kinfolk.db.connection import connect
    from kinfolk.gui.widgets.face_grid import FaceGridModel, FaceGridView
    from kinfolk.gui.tasks import TaskRunner

    lib = tmp / "grid.sqlite"
    t0 = time.perf_counter()
    build_grid_library(lib, n_faces)
    t_build = time.perf_counter() - t0
    conn = connect(lib)
    t0 = time.perf_counter()
    ids = db_faces.face_ids(conn)
    t_ids = time.perf_counter() - t0
    conn.close()
    runner = TaskRunner()
    model = FaceGridModel(runner, lib)
    view = FaceGridView()
    view.resize(*size)
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
    while bar.value() < bar.maximum():
        t = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().repaint()  # paint now, as a real frame would
        app.processEvents()
        frames.append(time.perf_counter() - t)
    loads_scrolled = model.loads
    t_fill = settle()
    runner.shutdown()
    view.close()
    return {
        "part": "grid", "faces": len(ids), "viewport": f"{size[0]}x{size[1]}",
        "build_library_s": round(t_build, 1), "read_face_ids_s": round(t_ids, 3),
        "set_model_and_first_paint_s": round(t_set, 3), "scroll_pages": len(frames),
        "frame_ms_median": round(1000 * statistics.median(frames), 2),
        "frame_ms_p95": round(1000 * sorted(frames)[int(0.95 * len(frames))], 2),
        "frame_ms_max": round(1000 * max(frames), 2),
        "thumbnails_decoded_while_scrolling": loads_scrolled,
        "last_page_filled_after_s": round(t_fill, 3),
        "thumbnails_decoded_total": model.loads,
    }


def open_window(lib: Path, settings_dir: Path, size: tuple[int, int], models_dir=None):
    from PySide6.QtCore import QSettings

    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    session = Session(lib, models_dir)
    w = MainWindow(session, QSettings())
    w.resize(*size)
    return w


def bench_people_and_scroll(app, tmp: Path, n_faces: int, size: tuple[int, int],
                            do_people: bool, do_scroll: bool, do_edit: bool) -> list[dict]:
    lib = tmp / "people.sqlite"
    t0 = time.perf_counter()
    shape = build_people_library(lib, n_faces)
    t_build = time.perf_counter() - t0
    out = []
    mon = StallMonitor()
    t0 = time.perf_counter()
    w = open_window(lib, tmp / "settings-people", size)
    w.show()
    w.show_page("people")
    t_window = time.perf_counter() - t0
    mon.start()
    pv = w.people_view
    data = w.session.people
    t_listed = pump_until(app, lambda: data.generation > 0 and pv.model.rowCount() == 200, 120)
    store = pv.model.store
    pv.cards.viewport().repaint()

    def covers_on_screen() -> bool:
        rows = visible_rows(pv.cards)
        return bool(rows) and all(store.has(pv.model.cards[r].cover_face_id) for r in rows)

    pump_until(app, covers_on_screen, 60)
    pv.cards.viewport().repaint()
    t_shown = time.perf_counter() - t0
    pump_until(app, lambda: not data.busy, 60)
    stalls = mon.stop()
    snap = data.snapshot
    if do_people:
        out.append({"part": "people", **shape, "build_library_s": round(t_build, 1),
                    "window_constructed_s": round(t_window, 3),
                    "people_listed_after_s": round(t_window + t_listed, 3),
                    "covers_on_screen_painted_after_s": round(t_shown, 3),
                    "groups_listed": len(snap.clusters), "suggestions_listed": len(snap.suggestions),
                    **stalls})
    if do_edit:
        # Name the largest unnamed group, as the user does (type a name, Enter): the edit runs on
        # the GUI thread, then matching every unassigned face against the named people runs in
        # the background, then the views reload.
        gv = w.groups_view
        w.show_page("groups")
        app.processEvents()
        gen = data.generation
        mon.start()
        t0 = time.perf_counter()
        gv.name_edit.setText("Person 201")
        gv.name_selected()
        t_edit = time.perf_counter() - t0
        pump_until(app, lambda: data.generation > gen and not data.busy, 900)
        t_done = time.perf_counter() - t0
        stalls = mon.stop()
        out.append({"part": "edit", "faces": n_faces, "named_group_faces": snap.clusters[0].faces,
                    "edit_on_gui_thread_s": round(t_edit, 3),
                    "rematched_and_reloaded_after_s": round(t_done, 1),
                    "suggestions_after": len(data.snapshot.suggestions), **stalls})
    if do_scroll:
        lv = w.library_view
        w.show_page("library")
        pump_until(app, lambda: lv.grid_model.rowCount() == n_faces and not lv._refreshing, 120)
        grid = lv.grid
        bar = grid.verticalScrollBar()
        pump_until(app, lambda: not lv.grid_model.loading, 30)
        from PySide6.QtCore import QTimer

        frames = {"n": 0}
        max_frames = 600
        rng = np.random.default_rng(2)
        jumps = [int(v) for v in rng.integers(0, bar.maximum() + 1, 60)]
        timer = QTimer()
        timer.setInterval(16)

        def frame() -> None:
            frames["n"] += 1
            if frames["n"] <= max_frames and bar.value() < bar.maximum():
                bar.setValue(bar.value() + bar.pageStep())
            elif jumps:
                bar.setValue(jumps.pop())
            else:
                timer.stop()

        timer.timeout.connect(frame)
        mon.start()
        t0 = time.perf_counter()
        timer.start()
        pump_until(app, lambda: not timer.isActive(), 120)
        t_scroll = time.perf_counter() - t0
        pump_until(app, lambda: not lv.grid_model.loading, 30)
        stalls = mon.stop()
        out.append({"part": "scroll", "faces": lv.grid_model.rowCount(),
                    "viewport": f"{grid.viewport().width()}x{grid.viewport().height()}",
                    "frames": frames["n"], "pages_scrolled": min(frames["n"], max_frames),
                    "scroll_bar_jumps": 60, "scrolling_s": round(t_scroll, 1),
                    "thumbnails_decoded": lv.grid_model.loads, **stalls})
    w.close()
    return out


def pick_photos(faces: Path, n: int) -> list[str]:
    """Single-person JPEGs of the best-represented identities, ~10 each, then the rest."""
    with open(faces / "labels.csv", newline="") as f:
        labels = {r["file"]: r["identity"] for r in csv.DictReader(f)}
    by_id: dict[str, list[str]] = {}
    for file, ident in sorted(labels.items()):
        if file.lower().endswith((".jpg", ".jpeg")):
            by_id.setdefault(ident, []).append(file)
    keys = sorted(by_id, key=lambda k: (-len(by_id[k]), k))
    out: list[str] = []
    for k in keys:
        out += by_id[k][:10]
    return out[:n]


def bench_scan(app, tmp: Path, n_photos: int, size: tuple[int, int], faces: Path,
               models: str) -> dict:
    photos = tmp / "scan-photos"
    photos.mkdir()
    for i, f in enumerate(pick_photos(faces, n_photos)):
        shutil.copy(faces / f, photos / f"{i:03d}_{f.replace('/', '_')}")
    n = len(list(photos.iterdir()))
    w = open_window(tmp / "scan.sqlite", tmp / "settings-scan", size, models)
    w.show()
    app.processEvents()
    lv = w.library_view
    grid = lv.grid
    bar = grid.verticalScrollBar()
    from PySide6.QtCore import QTimer

    ticks = {"n": 0}
    scroller = QTimer()
    scroller.setInterval(16)

    def frame() -> None:  # the user scrolls the faces found so far, down and up
        ticks["n"] += 1
        step = bar.pageStep() // 3
        phase = (ticks["n"] // 60) % 2
        bar.setValue(min(bar.maximum(), bar.value() + step) if phase == 0
                     else max(0, bar.value() - step))

    scroller.timeout.connect(frame)
    mon = StallMonitor().start()
    scroller.start()
    t0 = time.perf_counter()
    s = w.session
    timeline: dict[str, float] = {}
    mark = lambda what: timeline.setdefault(what, round(time.perf_counter() - t0, 2))  # noqa: E731
    s.scans.progressed.connect(lambda p: mark(f"phase {p.phase}"))
    s.scans.finished.connect(lambda summary: mark("scan finished"))
    s.people.loaded.connect(lambda snap: mark("groups shown") if snap.clusters else None)
    lv.add_folder(photos)  # what the user does: add a folder; the scan starts
    pump_until(app, lambda: not s.scans.running, 900)
    t_scan = time.perf_counter() - t0
    pump_until(app, lambda: not w.organizing and not s.people.busy and not lv._refreshing, 300)
    t_all = time.perf_counter() - t0
    scroller.stop()
    stalls = mon.stop()
    summary = s.scans.last_summary
    out = {"part": "scan", "photos": n, "faces_found": lv.grid_model.rowCount(),
           "backend": s.scans.backend_description, "workers": s.scans.workers or "default",
           "scan_s": round(t_scan, 1), "scan_and_grouping_s": round(t_all, 1),
           "photos_per_s": round(n / t_scan, 2) if t_scan else None,
           "groups": len(s.people.snapshot.clusters),
           "cancelled": bool(summary and summary.cancelled), "timeline_s": timeline, **stalls}
    w.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--size", default="1200x800")
    ap.add_argument("--only", default="grid,people,edit,scroll,scan")
    ap.add_argument("--faces-dir", default=str(REPO.parent / "shared" / "data" / "faces"))
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    parts = set(args.only.split(","))
    models = os.environ.get("KINFOLK_MODELS", str(REPO.parent / "shared" / "models"))

    from kinfolk.gui.app import make_application

    app = make_application([])
    tmp = Path(tempfile.mkdtemp(prefix="kinfolk-bench-"))
    os.environ["HOME"] = str(tmp)  # no user settings, models or ~/Pictures
    try:
        if "grid" in parts:
            print(json.dumps(bench_grid(app, tmp, args.faces, size), indent=2), flush=True)
        if parts & {"people", "scroll", "edit"}:
            for r in bench_people_and_scroll(app, tmp, args.faces, size, "people" in parts,
                                             "scroll" in parts, "edit" in parts):
                print(json.dumps(r, indent=2), flush=True)
        if "scan" in parts:
            print(json.dumps(bench_scan(app, tmp, args.photos, size, Path(args.faces_dir), models),
                             indent=2), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
