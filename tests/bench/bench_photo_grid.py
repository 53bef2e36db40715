"""Benchmark: a photo grid of 20,000 photos under month headers never blocks the window for long.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_photo_grid.py [--photos 20000]
        [--old OLD_photo_grid.py]      # e.g. git show 042906c:app/kinfolk/gui/widgets/photo_grid.py

Prints one JSON object per grid (not collected by pytest): ``set_items`` (ms on the GUI thread to
build the rows and headers of a fresh list, sorted already as the background task hands it over,
best of 3), ``grouping`` (``grid_rows`` alone), ``resort`` (View → Sort Photos),
``layout_longest_turn`` (the longest single stretch the GUI thread spends laying the grid out,
until its last photo is placed), ``layout_total`` and ``resize`` (blocking time of one resize).
``--old`` loads another version of ``photo_grid.py`` and measures it the same way in the same run
(timings on a shared machine are only comparable within one run).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import random
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402


def photos(module, n: int) -> list:
    rnd = random.Random(1)
    out = []
    for i in range(n):
        guess = rnd.random() >= 0.9
        taken = ("2026-11-30T04:53:00" if guess else
                 f"{rnd.randint(1975, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T12:00:00")
        out.append(module.PhotoItem(i, f"/photos/album{i % 97}/scan_{i:06d}.jpg", taken, [], guess))
    from kinfolk.gui.widgets.photo_grid import sort_photos

    return sort_photos(out, "newest")


def measure(app, module, n: int, runner) -> dict:
    items = photos(module, n)
    model = module.PhotoGridModel(module.PhotoThumbnailStore(runner, 160))
    view = module.PhotoGridView(160)
    view.resize(1000, 700)
    view.setModel(model)
    view.show()
    app.processEvents()
    times = []
    for _ in range(3):
        fresh = [dataclasses.replace(it) for it in items]
        model.items = []
        t = time.perf_counter()
        if hasattr(module, "sort_photos"):  # as the app does: sorted by the background task
            model.set_items(fresh, presorted=True)
        else:
            model.set_items(fresh)
        times.append(time.perf_counter() - t)
    res = {"photos": n, "headers": len(model.headers), "set_items_ms": min(times) * 1000}
    if hasattr(module, "grid_rows"):
        t = time.perf_counter()
        module.grid_rows(items, True)
        res["grouping_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        module.sort_photos(items, "oldest")  # View → Sort Photos re-sorts on the GUI thread
        res["resort_ms"] = (time.perf_counter() - t) * 1000
    last = model.index(model.rowCount() - 1)
    t0 = t = time.perf_counter()
    view.doItemsLayout()
    longest = time.perf_counter() - t
    while not view.visualRect(last).isValid():
        t = time.perf_counter()
        app.processEvents()
        longest = max(longest, time.perf_counter() - t)
    res["layout_longest_turn_ms"] = longest * 1000
    res["layout_total_ms"] = (time.perf_counter() - t0) * 1000
    view.resize(1200, 700)
    t = time.perf_counter()
    app.processEvents()
    view.executeDelayedItemsLayout()
    res["resize_ms"] = (time.perf_counter() - t) * 1000
    view.close()
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in res.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=20000)
    ap.add_argument("--old", help="another photo_grid.py to measure in the same run")
    args = ap.parse_args()
    app = QApplication([])
    from kinfolk.gui.tasks import TaskRunner
    from kinfolk.gui.widgets import photo_grid

    runner = TaskRunner()
    grids = [("new", photo_grid)]
    if args.old:
        spec = importlib.util.spec_from_file_location("photo_grid_old", args.old)
        old = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules["photo_grid_old"] = old
        spec.loader.exec_module(old)  # type: ignore[union-attr]
        grids.insert(0, ("old", old))
    for label, module in grids:
        print(json.dumps({"grid": label, **measure(app, module, args.photos, runner)}))
    runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
