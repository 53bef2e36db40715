"""Scan throughput on camera-sized JPEGs: Kinfolk's pipeline vs a naive one, same models, same run.

    python tests/bench/bench_scan.py [--count 200] [--backend onnx|dlib|both] [--workers N]
                                     [--memory-photos 10000]

Builds (once, cached in $TMPDIR) a corpus of 12-megapixel JPEGs (4000×3000) from the labeled photos
with ``../shared/tools/make_camera_corpus.py``. Then, for each backend:
- naive: one photo at a time, full-resolution decode (Pillow, EXIF transpose), detect, align, embed
  each face on its own — what a straightforward script does;
- kinfolk: ``Scanner`` into a fresh library (reduced-scale JPEG decode, worker threads, batched
  recognition, one SQLite writer).
Prints photos/s for both and the ratio (the machine is noisy: compare ratios, not absolutes).
``--memory-photos N`` also scans N photos (hard links to the corpus, distinct paths) and reports the
peak RSS of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "app"))


def corpus(count: int) -> Path:
    out = Path(tempfile.gettempdir()) / f"kinfolk-camera-{count}"
    if not (out / "labels.csv").exists():
        subprocess.run([sys.executable, str(SHARED / "tools" / "make_camera_corpus.py"),
                        str(SHARED / "data" / "faces"), str(out), "--count", str(count)], check=True)
    return out


def naive(backend, photos: list[Path]) -> tuple[float, int]:
    import numpy as np
    from PIL import Image, ImageOps

    t0 = time.perf_counter()
    faces = 0
    for p in photos:
        with Image.open(p) as im:
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        for det in backend.detect(rgb):
            backend.embed([backend.crop(rgb, det)])
            faces += 1
    return time.perf_counter() - t0, faces


def kinfolk(backend, folder: Path, workers: int | None) -> tuple[float, int]:
    from kinfolk.core.scanner import ScanOptions, Scanner

    with tempfile.TemporaryDirectory() as tmp:
        opts = ScanOptions()
        if workers:
            opts.workers = workers
        t0 = time.perf_counter()
        s = Scanner(Path(tmp) / "bench.sqlite", [folder], backend, opts).run()
        return time.perf_counter() - t0, s.faces


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--backend", choices=["onnx", "dlib", "both"], default="both")
    ap.add_argument("--pack", default="scrfd_mbf512")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--naive-count", type=int, default=40, help="photos for the (slow) naive run")
    ap.add_argument("--memory-photos", type=int, default=0)
    a = ap.parse_args()
    os.environ.setdefault("KINFOLK_MODELS", str(SHARED / "models"))
    from kinfolk.core.backend_choice import make_backend

    folder = corpus(a.count)
    photos = sorted(folder.glob("*.jpg"))
    print(f"corpus: {len(photos)} JPEGs 4000x3000 in {folder}; cpus={os.cpu_count()}")
    kinds = ["onnx", "dlib"] if a.backend == "both" else [a.backend]
    for kind in kinds:
        backend = make_backend(kind, pack=a.pack if kind == "onnx" else None)
        n_naive = min(a.naive_count, len(photos)) if kind == "onnx" else min(10, len(photos))
        sub = photos if kind == "onnx" else photos[:max(20, a.count // 10)]
        tn, fn = naive(backend, photos[:n_naive])
        if kind == "dlib":
            link_dir = Path(tempfile.mkdtemp())
            for p in sub:
                os.link(p, link_dir / p.name)
            tk, fk = kinfolk(backend, link_dir, a.workers)
        else:
            tk, fk = kinfolk(backend, folder, a.workers)
        rn, rk = n_naive / tn, len(sub) / tk
        print(f"{backend.pack_id:>14} ({backend.model_id}): naive {rn:6.2f} photos/s ({n_naive} photos, "
              f"{fn} faces) | kinfolk {rk:6.2f} photos/s ({len(sub)} photos, {fk} faces) | "
              f"speed-up x{rk / rn:.1f}")
    if a.memory_photos:
        backend = make_backend("onnx", pack=a.pack)
        big = Path(tempfile.mkdtemp(prefix="kinfolk-mem-"))
        for i in range(a.memory_photos):
            src = photos[i % len(photos)]
            d = big / f"d{i // 1000:03d}"
            d.mkdir(exist_ok=True)
            os.link(src, d / f"{i:06d}.jpg")
        t, f = kinfolk(backend, big, a.workers)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"memory run: {a.memory_photos} photos in {t:.0f} s ({a.memory_photos / t:.1f} photos/s), "
              f"{f} faces, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
