"""Forgetting a person erases their biometric bytes from the library file itself."""

from __future__ import annotations

import numpy as np

from kinfolk.core.people import edits, forget
from kinfolk.core.scan.scanner import ScanOptions, Scanner
from kinfolk.db.connection import connect

from .conftest import copy_photos


def test_forgotten_embeddings_are_gone_from_the_file(tmp_path, faces_dir, labels, onnx_backend):
    pics = tmp_path / "pics"
    copy_photos(faces_dir, labels, pics, 8, where=lambda i: i in ("colin_powell", "tony_blair"))
    lib = tmp_path / "lib.sqlite"
    Scanner(lib, [pics], onnx_backend, ScanOptions()).run()
    conn = connect(lib)
    rows = conn.execute("SELECT f.id, f.embedding, t.jpeg, f.photo_id FROM faces f JOIN thumbnails t ON "
                        "t.face_id = f.id ORDER BY f.id").fetchall()
    # The victim's faces come from three different photos: one person is never named twice in a
    # photo, so a second face of the same photo would stay unnamed and, rightly, not be forgotten.
    # (Face ids follow the workers' finishing order, so which faces come first varies from run to run.)
    firsts = {r[3]: r for r in reversed(rows)}
    rows = sorted(firsts.values(), key=lambda r: r[0]) + [r for r in rows if firsts[r[3]] is not r]
    victim_ids = [r[0] for r in rows[:3]]
    secrets = [bytes(r[1]) for r in rows[:3]] + [bytes(r[2]) for r in rows[:3]]
    edits.name_faces(conn, victim_ids, "Victim")
    assert conn.execute("SELECT COUNT(*) FROM faces WHERE person_id IS NOT NULL").fetchone()[0] == 3
    kept = bytes(rows[-1][1])  # someone else's embedding stays
    raw = lambda: lib.read_bytes() + (lib.with_name(lib.name + "-wal").read_bytes()  # noqa: E731
                                      if lib.with_name(lib.name + "-wal").exists() else b"")
    assert all(s in raw() for s in secrets[:3])
    forget.forget(conn, forget.plan(conn, "Victim"))
    data = raw()
    for s in secrets:
        assert s not in data
    # Not even a prefix of an embedding (first 64 bytes = 16 floats) survives.
    for s in secrets[:3]:
        assert s[:64] not in data
    assert b"Victim" not in data
    assert kept in data
    # The boxes are remembered, without pixels or vectors.
    assert conn.execute("SELECT COUNT(*) FROM forgotten_faces").fetchone()[0] >= 1
    cols = [r[1] for r in conn.execute("PRAGMA table_info(forgotten_faces)")]
    assert cols == ["photo_id", "photo_hash", "x1", "y1", "x2", "y2"]
    # A rescan of the (changed) photos does not recreate the forgotten faces.
    for p in pics.iterdir():
        p.touch()
        with open(p, "ab") as f:
            f.write(b"\0")  # content changes too: the file must be re-decoded
    Scanner(lib, [pics], onnx_backend, ScanOptions()).run()
    emb = np.frombuffer(secrets[0], np.float32)
    for (e,) in conn.execute("SELECT embedding FROM faces"):
        assert float(np.dot(np.frombuffer(e, np.float32), emb)) < 0.99
