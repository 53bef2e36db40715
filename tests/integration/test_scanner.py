"""The scan pipeline on real photos with the real ONNX models: incremental, resumable, robust."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from kinfolk.core.scan.scanner import ScanOptions, Scanner
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import connect

from .conftest import copy_photos


def scan(lib, folder, backend, **kw):
    return Scanner(lib, [folder], backend, ScanOptions(**kw)).run()


def test_rescan_of_unchanged_folder_decodes_nothing(tmp_path, faces_dir, labels, onnx_backend):
    photos = copy_photos(faces_dir, labels, tmp_path / "pics", 6)
    lib = tmp_path / "lib.sqlite"
    first = scan(lib, tmp_path / "pics", onnx_backend)
    assert first.processed == len(photos) and first.faces >= len(photos) - 1
    again = scan(lib, tmp_path / "pics", onnx_backend)
    assert again.processed == 0 and again.unchanged == len(photos) and again.faces == 0


def test_moved_changed_and_deleted_files(tmp_path, faces_dir, labels, onnx_backend):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 5, where=lambda i: i not in ("none", "group"))
    lib = tmp_path / "lib.sqlite"
    scan(lib, pics, onnx_backend)
    conn = connect(lib)
    conn.execute("INSERT INTO persons(name) VALUES ('Kim')")
    moved_src = photos[0]
    conn.execute("UPDATE faces SET person_id = 1, state = 'confirmed' WHERE photo_id = "
                 "(SELECT id FROM photos WHERE path = ?)", (str(moved_src),))
    (pics / "sub").mkdir()
    moved_dst = pics / "sub" / "renamed.jpg"
    shutil.move(moved_src, moved_dst)
    photos[1].unlink()
    # Changed content: overwrite photo 2 with photo 3's bytes (different size/mtime).
    shutil.copyfile(photos[3], photos[2])
    s = scan(lib, pics, onnx_backend)
    assert (s.moved, s.missing) == (1, 1)
    assert s.processed == 2  # the moved file is hashed but not decoded; the changed one is rescanned
    rows = {r["path"]: r for r in db_photos.photos(conn)}
    assert str(moved_dst) in rows and str(moved_src) not in rows
    # The deleted file is kept, marked missing (issue 13: nothing is deleted because a file is gone).
    assert db_photos.presence(rows[str(photos[1])]) == "missing"
    # The moved photo kept its named face.
    row = conn.execute("SELECT COUNT(*) FROM faces f JOIN photos p ON p.id = f.photo_id "
                       "WHERE p.path = ? AND f.person_id = 1", (str(moved_dst),)).fetchone()
    assert row[0] >= 1


def test_broken_files_are_recorded_with_reasons(tmp_path, faces_dir, labels, onnx_backend):
    pics = tmp_path / "pics"
    copy_photos(faces_dir, labels, pics, 2)
    good = next(pics.iterdir()).read_bytes()
    (pics / "zero.jpg").write_bytes(b"")
    (pics / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (pics / "notes.jpg").write_text("this is not a photo\n" * 20)
    (pics / "random.png").write_bytes(os.urandom(5000))
    (pics / "readme.txt").write_text("ignored: not an image extension, not image content")
    lib = tmp_path / "lib.sqlite"
    s = scan(lib, pics, onnx_backend)
    assert s.errors == 4 and s.processed == 6
    conn = connect(lib)
    reasons = {Path(r["path"]).name: r["error_reason"] for r in db_photos.photos(conn) if r["status"] == "error"}
    assert reasons == {"zero.jpg": "empty", "truncated.jpg": "truncated",
                       "notes.jpg": "not_image", "random.png": "not_image"}
    # Every error has a human message too.
    assert all(r["error"] for r in db_photos.photos(conn) if r["status"] == "error")
    # Unchanged broken files are not retried on the next scan.
    assert scan(lib, pics, onnx_backend).processed == 0


def test_heic_and_rotated_photos(tmp_path, faces_dir, labels, onnx_backend):
    heic = [rel for rel in labels if rel.endswith(".heic") and labels[rel] != "none"]
    assert heic, "the shared set has a HEIC face photo"
    pics = tmp_path / "pics"
    pics.mkdir()
    for rel in heic:
        shutil.copyfile(faces_dir / rel, pics / Path(rel).name)
    lib = tmp_path / "lib.sqlite"
    s = scan(lib, pics, onnx_backend)
    assert s.errors == 0 and s.faces >= 1


def test_a_killed_scan_resumes_without_redoing_work(tmp_path, faces_dir, labels, models_dir):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 60)
    lib = tmp_path / "lib.sqlite"
    cmd = [sys.executable, "-m", "kinfolk.cli.main", "--library", str(lib), "--models", str(models_dir),
           "scan", str(pics), "--pack", "scrfd_mbf512", "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        try:
            raw = sqlite3.connect(lib, timeout=1)
            committed = raw.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
            raw.close()
        except sqlite3.Error:
            continue
        if committed >= 10:
            break
    assert proc.poll() is None, "the scan finished before it could be killed; use more photos"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    raw = sqlite3.connect(lib)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done_before = raw.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
    faces_before = raw.execute("SELECT COUNT(*) FROM faces").fetchone()[0]
    raw.close()
    assert 10 <= done_before < len(photos)
    from kinfolk.core.faces.backend_choice import make_backend

    backend = make_backend("onnx", pack="scrfd_mbf512", models_dir=models_dir)
    s = scan(lib, pics, backend)
    assert s.unchanged == done_before
    assert s.processed == len(photos) - done_before
    conn = connect(lib)
    assert conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == len(photos)
    assert conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == faces_before + s.faces


def test_cancel_stops_early_and_keeps_committed_work(tmp_path, faces_dir, labels, onnx_backend):
    from kinfolk.core.cancel import CancelToken

    pics = tmp_path / "pics"
    # Past the cancel check when it comes: at most 2 × workers photos in flight and those queued
    # for the embedder (2 × workers) and the writer (16), 25 at most: 40 show that it stopped early.
    photos = copy_photos(faces_dir, labels, pics, 40)
    token = CancelToken()

    def progress(p):
        if p.phase == "scanning" and p.done >= 1:
            token.cancel()

    lib = tmp_path / "lib.sqlite"
    s = Scanner(lib, [pics], onnx_backend, ScanOptions(workers=2), progress=progress, control=token).run()
    assert s.cancelled and s.processed < len(photos)
    assert s.missing == 0
    again = scan(lib, pics, onnx_backend)
    assert again.unchanged + again.processed == len(photos) and again.unchanged >= 1


def test_a_file_vanishing_mid_scan_is_skipped_quietly(tmp_path, faces_dir, labels, onnx_backend):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 4)

    class DeletesAfterWalk(Scanner):
        def _plan(self, conn):
            work, missing = super()._plan(conn)
            photos[1].unlink()  # gone between the walk and its turn to be decoded
            return work, missing

    lib = tmp_path / "lib.sqlite"
    s = DeletesAfterWalk(lib, [pics], onnx_backend, ScanOptions()).run()
    assert s.errors == 0 and s.found == 4
    paths = {r["path"] for r in db_photos.photos(connect(lib))}
    assert paths == {str(p) for p in photos if p != photos[1]}


def test_cpu_recognition_runs_in_the_workers_with_the_embedders_results(tmp_path, faces_dir, labels,
                                                                        onnx_backend):
    """On CPU each worker embeds its own photo's faces (no embedder hand-off, both cores share the
    recognition); the stored embeddings are those of the cross-photo batching path."""
    import threading

    import numpy as np

    folder = tmp_path / "photos"
    copy_photos(faces_dir, labels, folder, n=8, where=lambda ident: ";" in ident)
    assert onnx_backend.embed_in_workers  # a CPU session
    callers: list[str] = []
    real_embed = onnx_backend.embed

    def spy(chips):
        callers.append(threading.current_thread().name)
        return real_embed(chips)

    def stored(lib):
        conn = connect(lib)
        rows = conn.execute("SELECT p.path, f.x1, f.embedding FROM faces f JOIN photos p ON p.id = f.photo_id")
        out = {(r[0], round(r[1], 1)): np.frombuffer(r[2], np.float32) for r in rows}
        conn.close()
        return out

    onnx_backend.embed = spy
    try:
        scan(tmp_path / "workers.sqlite", folder, onnx_backend, workers=2)
        in_workers = list(callers)
        callers.clear()
        onnx_backend.embed_in_workers = False
        scan(tmp_path / "embedder.sqlite", folder, onnx_backend, workers=2)
    finally:
        onnx_backend.embed_in_workers = True
        del onnx_backend.embed
    assert in_workers and all(name.startswith("kinfolk-decode") for name in in_workers)
    assert callers and all(name == "kinfolk-embed" for name in callers)
    a, b = stored(tmp_path / "workers.sqlite"), stored(tmp_path / "embedder.sqlite")
    assert len(a) >= 16 and a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-5)
